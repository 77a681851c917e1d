"""`dxhub dashboard` in a real browser, against a real deployment.

`dxhub run` starts a simulated camera, a simulated ADC, a centroid
analysis, an audit logger and the dashboard (actor type `dashboard`), each
in a node process of its own; headless Chromium (Debian's chromium and
chromium-driver, through python3-selenium) opens the page with the token
and the test asserts what a person sees: the nodes, channels and services,
an image canvas whose pixels show the camera's moving spot, a waveform, a
command sent from a form and its reply, the event list, and the camera
node killed with SIGKILL going down and coming back with a new session,
without a reload. Requests without the token are refused, and `dxhub
dashboard` (the command) refuses a non-loopback address without
--allow-remote and, started with --read-only, refuses commands.

Every wait has a deadline; every process started is killed and every
shared-memory segment of the deployment removed at the end, also on failure.
A screenshot is kept in the build tree (DXHUB_DASHBOARD_ARTIFACTS).
"""

import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

BUILD = os.environ.get("DXHUB_TEST_BINARY_DIR", "build")
DXHUB = os.path.join(BUILD, "apps", "dxhub")
ARTIFACTS = os.environ.get("DXHUB_DASHBOARD_ARTIFACTS", BUILD)
CAM = "dash/cam0/raw"
ADC = "dash/adc0/raw"
WIDTH, HEIGHT = 160, 120


def wait_for(what, seconds, check):
    """Calls `check` until it returns something true, or fails naming `what`."""
    end = time.monotonic() + seconds
    last = None
    while time.monotonic() < end:
        try:
            last = check()
        except Exception as e:  # the page may be between two renders
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.1)
    pytest.fail(f"timed out after {seconds} s waiting for {what} (last: {last!r})")


class Lab:
    """A scratch directory and every process started, cleaned up at the end."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dxhub-dashboard-")
        self.env = dict(os.environ)
        self.env.pop("DXHUB_REGISTRY", None)
        self.env.pop("DXHUB_SHM_PREFIX", None)
        # The nodes' ipc sockets in here, removed with it (a node killed with -9
        # cannot remove its own).
        self.env["XDG_RUNTIME_DIR"] = self.dir
        self.procs = []
        self.prefixes = []
        self.registry = "ipc://" + os.path.join(self.dir, "registry")

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, args, name):
        err = open(self.path(name + ".err"), "w")
        p = subprocess.Popen([DXHUB] + args, stdout=subprocess.PIPE, stderr=err, env=self.env,
                             start_new_session=True, text=True)
        p.err_file = self.path(name + ".err")
        self.procs.append(p)
        return p

    def err_of(self, p):
        with open(p.err_file) as f:
            return f.read()

    def join(self, runner):
        """Takes the shared-memory prefix `dxhub run` prints for other shells."""
        def prefix():
            if runner.poll() is not None:
                pytest.fail("dxhub run ended: " + self.err_of(runner))
            text = self.err_of(runner)
            at = text.find("DXHUB_SHM_PREFIX=")
            return text[at + len("DXHUB_SHM_PREFIX="):].split()[0] if at >= 0 else None
        p = wait_for("dxhub run to print its shared-memory prefix", 30, prefix)
        self.env["DXHUB_SHM_PREFIX"] = p
        self.prefixes.append(p)

    def dashboard(self, extra, name):
        """Starts `dxhub dashboard` on a free loopback port; returns its JSON line."""
        p = self.start(["dashboard", "--registry", self.registry, "--listen", "127.0.0.1:0",
                        "--json", "--duration", "240"] + extra, name)
        line = p.stdout.readline()
        if not line:
            pytest.fail("dxhub dashboard printed nothing: " + self.err_of(p))
        return json.loads(line)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
        for entry in os.listdir("/dev/shm"):
            if any(entry.startswith(p) for p in self.prefixes):
                try:
                    os.unlink(os.path.join("/dev/shm", entry))
                except OSError:
                    pass


def deployment(lab):
    name = "dash" + uuid.uuid4().hex[:6]
    path = lab.path("lab.toml")
    with open(path, "w") as f:
        f.write(f'''[deployment]
name = "{name}"
grace_ms = 3000

# A long backoff, so that the page can see the camera node down before its
# launcher brings it back.
[restart]
kind = "permanent"
max_restarts = 5
within_s = 120
backoff_ms = 2500
heartbeat_timeout_ms = 5000

# The dashboard as a deployment hosts it; it writes its URL (with the token)
# to a file, since a node has no terminal to print it on.
[[nodes]]
name = "display"
  [[nodes.actors]]
  type = "dashboard"
  name = "dashboard"
  params = {{ listen = "127.0.0.1:0", url_file = "{lab.path("dashboard.url")}" }}

[[nodes]]
name = "logger"
  [[nodes.actors]]
  type = "audit_logger"
  name = "audit"
  params = {{ path = "{lab.path("audit.jsonl")}" }}

[[nodes]]
name = "camera"
  [[nodes.actors]]
  type = "simulated_camera"
  name = "cam0"
  params = {{ width = {WIDTH}, height = {HEIGHT}, rate_hz = 30.0, pattern = "gaussian_spot", stats_period_ms = 500 }}
  publishes = ["{CAM}"]

[[nodes]]
name = "adc"
  [[nodes.actors]]
  type = "simulated_adc"
  name = "adc0"
  params = {{ channels = 2, block = 200, sample_rate_hz = 4000.0, frequency_hz = 40.0 }}
  publishes = ["{ADC}"]

[[nodes]]
name = "ana"
  [[nodes.actors]]
  type = "centroid"
  name = "centroid0"
  subscribes = ["{CAM}"]
''')
    return path


class LoopbackService(Service):
    """chromedriver, reached at 127.0.0.1: selenium says "localhost", which a
    minimal system without /etc/hosts (a fresh debootstrap root) cannot
    resolve."""

    @property
    def service_url(self):
        return "http://127.0.0.1:%d" % self.port

    def is_connectable(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False


def browser():
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu",
              "--window-size=1400,2000", "--disable-extensions"]:
        opts.add_argument(a)
    # Chromium keeps its shared memory in /dev/shm, as a user's browser does,
    # unless it is small there (a container's 64 MiB): then in /tmp, slower.
    shm = os.statvfs("/dev/shm")
    if shm.f_bavail * shm.f_frsize < (512 << 20):
        opts.add_argument("--disable-dev-shm-usage")
    # Chromium leaves a directory in $TMPDIR per run: in one of ours instead,
    # removed when this process ends.
    scratch = tempfile.mkdtemp(prefix="dxhub-browser-")
    atexit.register(shutil.rmtree, scratch, True)
    service = LoopbackService("/usr/bin/chromedriver", env=dict(os.environ, TMPDIR=scratch))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver, service


# The canvas as a person sees it: brightness statistics and the centroid of
# the bright spot, from the pixels drawn (gray colour map: red = value).
CANVAS_STATS = """
const c = document.getElementById('image');
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let min = 255, max = 0, sum = 0, n = 0, sx = 0, sy = 0;
for (let y = 1; y < c.height; ++y)       // row 0 carries the frame counter
  for (let x = 0; x < c.width; ++x) {
    const v = d[(y * c.width + x) * 4];
    min = Math.min(min, v); max = Math.max(max, v); sum += v;
    if (v > 128) { n += 1; sx += x; sy += y; }
  }
return {w: c.width, h: c.height, min, max, sum, bright: n,
        cx: n ? sx / n : -1, cy: n ? sy / n : -1,
        sequence: Number(document.getElementById('image-info').dataset.sequence || -1)};
"""

WAVEFORM_INK = """
const c = document.getElementById('waveform');
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
const colours = new Set(); let ink = 0;
for (let i = 0; i < d.length; i += 4) {
  const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
  if (Math.max(r, g, b) - Math.min(r, g, b) > 60) { ink += 1; colours.add(r + ',' + g + ',' + b); }
}
return {ink, colours: colours.size};
"""


def row_data(driver, table, key, name):
    """The data attributes of one row, read in one go (the rows are redrawn
    with every overview, so an element found earlier may be gone)."""
    return driver.execute_script(
        "const r = document.querySelector(`#${arguments[0]} tbody tr[${arguments[1]}=\"${arguments[2]}\"]`);"
        "return r ? Object.assign({}, r.dataset) : null;", table, key, name) or {}


def table_rows(driver, table, key):
    return {r.get_attribute(key): r for r in
            driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")}


@pytest.fixture(scope="module")
def lab():
    lab = Lab()
    try:
        runner = lab.start(["run", deployment(lab), "--duration", "240", "--workdir", lab.dir,
                            "--registry", lab.registry], "run")
        lab.join(runner)
        yield lab
    finally:
        lab.close()


@pytest.fixture(scope="module")
def dashboard(lab):
    """The deployment's own dashboard, found through the URL file it wrote."""
    def url():
        with open(lab.path("dashboard.url")) as f:
            return f.read().strip() or None
    found = wait_for("the deployment's dashboard to write its URL", 30, url)
    assert os.stat(lab.path("dashboard.url")).st_mode & 0o777 == 0o600
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(found).query)["token"][0]
    return {"url": found, "token": token}


@pytest.fixture(scope="module")
def page(lab, dashboard):
    driver, service = browser()
    try:
        driver.get(dashboard["url"])
        yield driver
    finally:
        try:
            os.makedirs(ARTIFACTS, exist_ok=True)
            driver.save_screenshot(os.path.join(ARTIFACTS, "dashboard-last.png"))
        except Exception:
            pass
        driver.quit()
        if service.process and service.process.poll() is None:
            service.process.kill()


def test_a_request_without_the_token_is_refused(dashboard):
    parts = urllib.parse.urlsplit(dashboard["url"])
    base = f"http://{parts.netloc}"
    for target in ["/", "/app.js", "/?token=wrong" + dashboard["token"][:4]]:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + target, timeout=10)
        assert refused.value.code == 401
        assert b"<html" not in refused.value.read()
    # The WebSocket handshake too: 401, no upgrade, no data.
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/ws", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                                        "Sec-WebSocket-Version": "13"})
    r = conn.getresponse()
    assert r.status == 401
    assert b"overview" not in r.read()
    conn.close()
    # With the token: the page.
    with urllib.request.urlopen(dashboard["url"], timeout=10) as ok:
        assert ok.status == 200
        assert b"dxhub dashboard" in ok.read()


def test_a_non_loopback_address_needs_allow_remote_and_a_token_must_be_long(lab):
    r = subprocess.run([DXHUB, "dashboard", "--registry", lab.registry, "--listen", "0.0.0.0:0"],
                       capture_output=True, text=True, env=lab.env, timeout=30)
    assert r.returncode == 2, r.stderr
    assert "--allow-remote" in r.stderr
    # Nor does it take a token short enough to guess.
    r = subprocess.run([DXHUB, "dashboard", "--registry", lab.registry, "--listen", "127.0.0.1:0",
                        "--token", "lab"], capture_output=True, text=True, env=lab.env, timeout=30)
    assert r.returncode == 2 and "at least 16" in r.stderr, r.stderr


def test_the_overview_lists_every_node_channel_and_service(page):
    wait_for("the five nodes up", 30, lambda: all(
        n in table_rows(page, "nodes", "data-node")
        and table_rows(page, "nodes", "data-node")[n].get_attribute("data-status") == "up"
        for n in ("display", "logger", "camera", "adc", "ana")))
    wait_for("both channels with their publisher", 20, lambda: all(
        c in table_rows(page, "channels", "data-channel")
        and table_rows(page, "channels", "data-channel")[c].get_attribute("data-alive") == "true"
        for c in (CAM, ADC)))
    wait_for("a frame rate for the camera", 20, lambda: float(
        table_rows(page, "channels", "data-channel")[CAM].find_elements(By.TAG_NAME, "td")[5].text) > 5)
    services = wait_for("the camera's service with its commands", 20,
                        lambda: table_rows(page, "services", "data-service").get("cam0"))
    commands = [o.get_attribute("value") for o in
                services.find_elements(By.CSS_SELECTOR, "select[name=command] option")]
    assert "set_exposure" in commands and "get_state" in commands
    assert "adc0" in table_rows(page, "services", "data-service")


def test_the_image_shows_the_moving_spot(page):
    wait_for("the camera in the image view", 20,
             lambda: page.find_element(By.ID, "image-channel").get_attribute("value") == CAM)
    first = wait_for("a drawn frame with a bright spot", 20,
                     lambda: (lambda s: s if s["bright"] > 20 and s["w"] == WIDTH else None)(
                         page.execute_script(CANVAS_STATS)))
    assert first["h"] == HEIGHT
    assert first["max"] - first["min"] > 150, first  # not a uniform picture
    # The spot sits inside the picture, away from its borders.
    assert 10 < first["cx"] < WIDTH - 10 and 10 < first["cy"] < HEIGHT - 10, first
    # Seconds later: newer frames, other pixels, the spot moved.
    later = wait_for("the spot to move", 30,
                     lambda: (lambda s: s if s["sequence"] > first["sequence"] + 30
                              and abs(s["cx"] - first["cx"]) + abs(s["cy"] - first["cy"]) > 1.0
                              else None)(page.execute_script(CANVAS_STATS)))
    assert later["sum"] != first["sum"]
    # The dashboard polls the camera's channel: the camera never had to wake it.
    mine = wait_for("the dashboard's own reader of the camera in the overview", 20, lambda: next(
        (s for c in page.execute_script("return dxhub.overview.channels") if c["channel"] == CAM
         for s in c.get("subscribers", []) if s["dashboard"] and s["delivered"] > 30), None))
    assert mine["never_sleeps"] and mine["wakeups"] == 0, mine
    # Pixel value under the mouse.
    page.execute_script("""
      const c = document.getElementById('image'); const r = c.getBoundingClientRect();
      c.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width / 2,
                                                   clientY: r.top + r.height / 2}));""")
    assert "value" in page.find_element(By.ID, "pixel-info").text


def test_the_waveform_view_draws_every_trace(page):
    wait_for("the ADC in the waveform view", 20,
             lambda: page.find_element(By.ID, "waveform-channel").get_attribute("value") == ADC)
    ink = wait_for("two traces on the waveform canvas", 20,
                   lambda: (lambda w: w if w["ink"] > 300 and w["colours"] >= 2 else None)(
                       page.execute_script(WAVEFORM_INK)))
    assert ink["ink"] > 300


def test_a_command_from_the_form_is_answered_and_changes_the_state(page):
    form = wait_for("the camera's command form", 20, lambda: page.find_element(
        By.CSS_SELECTOR, 'form[data-service="cam0"]'))
    Select(form.find_element(By.NAME, "command")).select_by_value("set_exposure")
    args = form.find_element(By.NAME, "args")
    args.clear()
    args.send_keys('{"ms": 7.5}')
    form.find_element(By.TAG_NAME, "button").click()
    reply = form.find_element(By.CSS_SELECTOR, "pre.reply")
    wait_for("the reply to set_exposure", 20, lambda: reply.get_attribute("data-ok") == "true")
    assert "7.5" in reply.text
    state = wait_for("the camera's state with the new exposure", 20, lambda: json.loads(
        table_rows(page, "services", "data-service")["cam0"].find_element(
            By.CSS_SELECTOR, "td.state").get_attribute("data-state") or "{}").get("exposure_ms") == 7.5)
    assert state
    # A command the camera refuses shows its error, and the page goes on.
    args.clear()
    args.send_keys('{"ms": -1}')
    form.find_element(By.TAG_NAME, "button").click()
    wait_for("the refusal", 20, lambda: reply.get_attribute("data-ok") == "false")
    assert "invalid argument" in reply.text


def test_bad_requests_get_clear_errors_and_the_server_keeps_serving(page):
    page.execute_script("""
      dxhub.ws.send(JSON.stringify({type: 'command', id: 901, service: 'nosuch', command: 'x'}));
      dxhub.ws.send('this is not json');""")
    missing = wait_for("the reply for a service that does not exist", 20, lambda: next(
        (r for r in page.execute_script("return dxhub.replies") if r["id"] == 901), None))
    assert not missing["ok"] and "unknown service" in missing["error"]
    wait_for("the error for a malformed message", 10, lambda: any(
        "malformed message" in e.get("error", "") for e in page.execute_script("return dxhub.errors")))
    before = page.execute_script("return dxhub.frames.image.count")
    wait_for("frames after the bad requests", 10,
             lambda: page.execute_script("return dxhub.frames.image.count") > before + 5)


def test_the_event_list_shows_events_and_filters_them(lab, page):
    wait_for("a camera event in the list", 20, lambda: page.find_elements(
        By.CSS_SELECTOR, '#events li[data-topic^="cam0/"]'))
    # The command from the form is in the audit log, with the dashboard as
    # caller. (Not in the page's own list: a node is not sent back the
    # events it is the source of, and the audit record of a call has the
    # caller as source.)
    def audited():
        with open(lab.path("audit.jsonl")) as f:
            lines = [json.loads(line) for line in f if '"set_exposure"' in line]
        return [r for r in lines if r.get("action") == "set_exposure" and "/dashboard:" in r.get("caller", "")]
    records = wait_for("the audit record of the form's command", 20, audited)
    assert any(r["args"] == {"ms": 7.5} and not r["error"] for r in records), records
    box = page.find_element(By.ID, "event-filter")
    box.send_keys("cam0/")
    shown = wait_for("only the camera's events", 20, lambda: (lambda items: items if items and all(
        "cam0/" in li.text for li in items) else None)(page.find_elements(By.CSS_SELECTOR, "#events li")))
    assert shown
    box.clear()
    page.execute_script("document.getElementById('event-filter').dispatchEvent(new Event('input'))")


def test_a_killed_camera_node_is_shown_down_then_back_with_a_new_session(page):
    page_id = page.execute_script("return dxhub.pageId")
    old_pid = int(row_data(page, "nodes", "data-node", "camera")["pid"])
    old_session = row_data(page, "channels", "data-channel", CAM)["session"]
    os.kill(old_pid, signal.SIGKILL)
    wait_for("the camera node shown down", 15, lambda: row_data(
        page, "nodes", "data-node", "camera").get("status") == "down")
    wait_for("the camera's channel shown without publisher", 15, lambda: row_data(
        page, "channels", "data-channel", CAM).get("alive") == "false")
    back = wait_for("the camera node back in another process", 40, lambda: (lambda r: r if (
        r.get("status") == "up" and int(r.get("pid", old_pid)) != old_pid) else None)(
            row_data(page, "nodes", "data-node", "camera")))
    assert int(back["restarts"]) >= 1
    wait_for("a new publisher session", 30, lambda: row_data(
        page, "channels", "data-channel", CAM).get("session") not in (old_session, "0", None))
    wait_for("frames of the new session in the image view", 30, lambda: page.find_element(
        By.ID, "image-info").get_attribute("data-session") not in (old_session, None, ""))
    assert page.execute_script("return dxhub.pageId") == page_id  # no reload
    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "dashboard.png")
    time.sleep(1.0)  # a few more frames of the new session on the canvas
    assert page.save_screenshot(shot)
    assert os.path.getsize(shot) > 10000


def test_a_read_only_dashboard_refuses_commands(lab, page):
    ro = lab.dashboard(["--read-only"], "readonly")
    page.get(ro["url"])
    wait_for("the read-only hello", 20, lambda: page.execute_script("return dxhub.readOnly") is True)
    form = wait_for("the camera's form", 20, lambda: page.find_element(
        By.CSS_SELECTOR, 'form[data-service="cam0"]'))
    assert form.find_element(By.TAG_NAME, "button").get_attribute("disabled")
    page.execute_script("dxhub.ws.send(JSON.stringify({type: 'command', id: 77, service: 'cam0', "
                        "command: 'set_exposure', args: {ms: 3}}))")
    refused = wait_for("the refusal", 20, lambda: next(
        (r for r in page.execute_script("return dxhub.replies") if r["id"] == 77), None))
    assert not refused["ok"] and "read-only" in refused["error"]
