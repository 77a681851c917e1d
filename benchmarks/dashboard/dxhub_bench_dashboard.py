"""dxhub-bench-dashboard: what the live dashboard costs and how fresh its picture is.

    dxhub-bench-dashboard [--seconds 15] [--pairs 20] [--pair-seconds 3] [--quick]
                          [--results] [--no-pin]

A deployment with two 640x480 u16 simulated cameras at 30 Hz (cam0, the
one measured, and cam1) and a dashboard actor. The camera's own figures
(frames/s and how long each publish takes, from its `stats` events) are
taken for a while with no page open, then while headless Chromium shows the
camera in the image view. In the page: the publish-to-display latency of
every frame drawn (the browser's clock at the end of drawing against the
frame's publish time; same host, same clock) and the frames drawn per
second. Between the two, the camera's figures while a C++ subscriber
(`dxhub read --policy latest`) takes its frames, woken by the publisher,
and then while one reads as the dashboard does (`--policy newest --poll-ms
8`: no queue, the newest frame every 8 ms): what a subscriber itself costs
the publisher, apart from what the page and the browser cost the machine.

The camera's own publish time drifts from one period to the next by more
than the page costs it (other work on the host, where the kernel and the
hypervisor put things). So after those phases the page is switched off
(`about:blank`) and on (the image view) in alternating periods of
`--pair-seconds`, `--pairs` times, in the same deployment. The camera's
stats events carry every publish's duration (`stats_samples`), so the
page's cost (`alternating_pairs publish_p50_ratio`) is the p50 of all
publishes with the page over that of all publishes without it: the drift
weighs on both sides alike, and each side has some 30 x `--pairs` x
(`--pair-seconds` - 1) publishes instead of per-second medians of 30. Its
95 % interval comes from resampling whole pairs (bootstrap); the median of
the per-pair ratios is printed too.

Each pair has more periods: the page shows the second camera
(`bench/cam1/raw`, its own node on the measured camera's CPU), before or
after it shows the measured one (in turns, so that neither always follows
the page's load); the browser then works as hard as with the measured
camera, and the dashboard reads the other camera's segment instead. That
splits the page's cost: `other_camera_over_without` is what the browser's
load on the machine costs the camera (no view of the page reads its
channel), and `with_over_other_camera` what the dashboard's reading of its
channel costs it on top, the browser working alike. Two more periods take
the overview apart: `socket_over_without`, the dashboard feeding its
overview and events to a bare WebSocket (a script on a small page of its
origin, nothing drawn), and `overview_over_without`, the page with its
overview only (no view fed); both also over both cameras' publishes
(`both_cameras_p50_ratio`), as the overview inspects every channel.

Both cameras' publishes are taken in every period, over the same seconds,
so each is the other's control: `shown_over_unshown_camera` is the shown
camera's publish p50 over the other camera's, in the periods showing cam0
and in those showing cam1, the geometric mean of the two (whatever makes one
camera faster than the other, the same in both kinds of period, cancels).
The drift of the machine, which the periods of a pair only share in part,
then weighs on both sides at the same moment: this is the figure that
bounds what the dashboard costs a camera it shows.

As a lab machine gives its acquisition nodes a core of their own, the
cameras' nodes run on the last CPU (`cpus = [N-1]` in the deployment) and
everything else on CPU 0: this program sets its own affinity to CPU 0 before it starts
anything, so `dxhub run` (and the registry it embeds), the dashboard's node
(`cpus = [0]`), `dxhub tail`/`dxhub read` and the browser inherit it; the
same in every phase, with and without the page. Without that, the browser's
and the dashboard's threads also run on the camera's core between frames
(docs/dashboard.md has what pinning changes: part of the page's cost on a
quiet machine). --no-pin measures the unpinned case (everything where the
kernel puts it); on one CPU nothing is pinned.

Goals (issue 22): display p50 < 50 ms, >= 20 frames/s drawn for a 30 Hz
camera, and the dashboard costs the publisher < 5 % in rate and publish p50.
With --results, prints RESULT lines (section, bench, variant, size, metric,
value, unit) like the other benchmark programs, for `dxhub bench`. Needs
Debian's chromium and chromium-driver (installed by scripts/bootstrap.sh).
"""

import argparse
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
# The browser and the lab of the dashboard's own test: one harness for both.
sys.path.insert(0, os.environ.get("DXHUB_DASHBOARD_TESTS",
                                  os.path.join(HERE, "..", "..", "tests", "dashboard")))
import test_dashboard as t  # noqa: E402

WIDTH, HEIGHT, RATE = 640, 480, 30.0
SIZE = f"{WIDTH * HEIGHT * 2 // 1024}KiB"
CHANNEL, OTHER_CHANNEL = "bench/cam0/raw", "bench/cam1/raw"


def cpu_layout(pin):
    """(camera's CPUs, everything else's CPUs), or (None, None): unpinned."""
    cpus = sorted(os.sched_getaffinity(0))
    if not pin or len(cpus) < 2:
        return None, None
    return [cpus[-1]], [cpus[0]]


def deployment(lab, camera_cpus=None, other_cpus=None):
    def cpus(which):
        return f"cpus = {which}\n" if which else ""
    path = lab.path("bench.toml")
    camera = (f"width = {WIDTH}, height = {HEIGHT}, rate_hz = {RATE}, "
              "stats_period_ms = 500, stats_samples = true")
    # Each camera in a node of its own, both on the camera's CPU.
    cameras = "".join(f'''
[[nodes]]
name = "{node}"
{cpus(camera_cpus)}  [[nodes.actors]]
  type = "simulated_camera"
  name = "{name}"
  params = {{ {camera} }}
  publishes = ["{channel}"]
''' for node, name, channel in (("camera", "cam0", CHANNEL),
                                ("other-camera", "cam1", OTHER_CHANNEL)))
    with open(path, "w") as f:
        f.write(f'''[deployment]
name = "dashbench{os.getpid()}"
grace_ms = 3000

[[nodes]]
name = "display"
{cpus(other_cpus)}  [[nodes.actors]]
  type = "dashboard"
  name = "dashboard"
  params = {{ listen = "127.0.0.1:0", url_file = "{lab.path("dashboard.url")}" }}
''' + cameras)
    return path


def camera_figures(lab, seconds, both=False):
    """The camera's frames/s, and its publish durations (us) over `seconds`
    with their p50/p99, from its stats events (the first period is dropped:
    it straddles the change). With `both`, the second camera's figures over
    the same seconds come along under "cam1"."""
    services = ["cam0", "cam1"] if both else ["cam0"]
    tails = [subprocess.Popen([t.DXHUB, "tail", f"{service}/stats", "--registry", lab.registry,
                               "--json", "--timeout-ms", str(int(seconds * 1000))],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=lab.env) for service in services]
    figures = [stats_figures(service, *tail.communicate(timeout=seconds + 30))
               for service, tail in zip(services, tails)]
    if both:
        figures[0]["cam1"] = figures[1]
    return figures[0]


def stats_figures(service, out, err):
    stats = [json.loads(line)["args"] for line in out.splitlines() if line.strip()]
    stats = stats[1:] or stats
    if not stats:
        raise RuntimeError(f"no stats events from {service}: " + err.strip())
    samples = [us for s in stats for us in s.get("publish_us", [])]
    if not samples:
        raise RuntimeError(f"the stats events of {service} carry no publish durations")
    return {"rate": statistics.mean(s["fps"] for s in stats), "samples": samples,
            "publish_p50": statistics.median(samples),
            "publish_p99": percentile(samples, 0.99)}


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def measure(lab, seconds, camera_cpus, other_cpus, n_pairs, pair_seconds):
    if other_cpus:
        # Inherited by everything started from here on: dxhub run, its
        # registry, the tools, chromedriver and the browser's processes.
        os.sched_setaffinity(0, other_cpus)
    dep = deployment(lab, camera_cpus, other_cpus)
    runner = lab.start(["run", dep, "--duration",
                        str(int(4 * seconds + 2 * n_pairs * (pair_seconds + 10) + 90)),
                        "--workdir", lab.dir, "--registry", lab.registry], "run")
    lab.join(runner)

    def url():
        with open(lab.path("dashboard.url")) as f:
            return f.read().strip() or None
    page_url = t.wait_for("the dashboard's URL", 30, url)
    # The camera's first stats period: it runs at its rate from here on.
    camera_figures(lab, 1.5)
    progress(f"camera alone for {seconds:g} s")
    alone = camera_figures(lab, seconds)
    progress(f"camera read by a C++ `latest` subscriber (dxhub read) for {seconds:g} s")
    read = cxx_reader_figures(lab, seconds)
    progress(f"camera read by a C++ subscriber polling like the dashboard for {seconds:g} s")
    polled = cxx_reader_figures(lab, seconds, poll_ms=8)

    driver, service = t.browser()
    try:
        driver.get(page_url)
        show(driver, CHANNEL)
        driver.execute_script("dxhub.frames.image.ages = []; dxhub.frames.image.count = 0;")
        progress(f"camera shown in the page for {seconds:g} s")
        started = time.monotonic()
        watched = camera_figures(lab, seconds)
        elapsed = time.monotonic() - started
        ages = driver.execute_script("return dxhub.frames.image.ages")
        shown = driver.execute_script("return dxhub.frames.image.count")
        pairs = alternating_pairs(lab, driver, page_url, n_pairs, pair_seconds)
    finally:
        driver.quit()
        if service.process and service.process.poll() is None:
            service.process.kill()
    if not ages:
        raise RuntimeError("the page drew no frame while measured")
    return alone, read, polled, watched, ages, shown / elapsed, pairs


def alternating_pairs(lab, driver, page_url, n_pairs, pair_seconds):
    """[(without, other, with, overview, socket)] figures of both cameras in
    neighbouring periods: the page on about:blank (the dashboard then reads
    nothing), then the dashboard feeding a bare WebSocket (no page drawn),
    then the page on the image view of the other camera (the browser works
    as hard, the dashboard reads the other camera's channel) and on that of
    the measured camera, the one or the other first in turns, then with its
    overview only (no view fed, the page long loaded)."""
    pairs = []
    for k in range(n_pairs):
        progress(f"pair {k + 1}/{n_pairs}: {pair_seconds:g} s without the page, feeding a bare "
                 "socket, showing the other camera and this one (in turns, which first), "
                 "with the overview only")
        driver.get("about:blank")
        time.sleep(1)  # the page before it on its way out, as the other periods settle
        without = camera_figures(lab, pair_seconds, both=True)
        socket = socket_figures(lab, driver, page_url, pair_seconds)
        driver.get(page_url)
        # Every other pair shows this camera first: the period right after
        # the page loads is not always the same one.
        first, second = (OTHER_CHANNEL, CHANNEL) if k % 2 == 0 else (CHANNEL, OTHER_CHANNEL)
        shown = {}
        for channel in (first, second):
            show(driver, channel)
            shown[channel] = camera_figures(lab, pair_seconds, both=True)
        overview = overview_figures(lab, driver, pair_seconds)
        pairs.append((without, shown[OTHER_CHANNEL], shown[CHANNEL], overview, socket))
        other, this = pairs[-1][OTHER], pairs[-1][WITH]
        progress(f"pair {k + 1}/{n_pairs}: publish p50 {without['publish_p50']:.2f} us without, "
                 f"{socket['publish_p50']:.2f} us feeding a bare socket, "
                 f"{overview['publish_p50']:.2f} us with the overview only, "
                 f"{other['publish_p50']:.2f} us with the other camera's, "
                 f"{this['publish_p50']:.2f} us with this camera's picture; the other camera "
                 f"{without['cam1']['publish_p50']:.2f} / {socket['cam1']['publish_p50']:.2f} / "
                 f"{overview['cam1']['publish_p50']:.2f} / "
                 f"{other['cam1']['publish_p50']:.2f} / "
                 f"{this['cam1']['publish_p50']:.2f} us")
    return pairs


def socket_figures(lab, driver, page_url, pair_seconds):
    """Both cameras' figures while the dashboard feeds its overview and
    events to a bare WebSocket (no view): a script on a small page of the
    dashboard's origin (its 404) counts the messages and draws nothing. What
    the dashboard does for an open page, without the page's drawing."""
    url = urllib.parse.urlsplit(page_url)
    token = urllib.parse.parse_qs(url.query)["token"][0]
    driver.get(f"{url.scheme}://{url.netloc}/bench-no-page?token={token}")
    driver.execute_script(
        "window.bench = {messages: 0};"
        "const ws = new WebSocket('ws://' + location.host + '/ws?token=' + arguments[0]);"
        "ws.onopen = () => ws.send(JSON.stringify({type: 'watch', views: []}));"
        "ws.onmessage = () => { window.bench.messages += 1; };", token)
    t.wait_for("the dashboard's messages on a bare WebSocket", 30,
               lambda: driver.execute_script("return window.bench.messages > 2"))
    time.sleep(1)  # the connection's first burst
    return camera_figures(lab, pair_seconds, both=True)


def overview_figures(lab, driver, pair_seconds):
    """Both cameras' figures while the page shows the overview only (no
    view fed): what the dashboard's overview (every segment inspected, the
    registry listed, 2.5 times a second) and the page's tables cost."""
    t.wait_for("the nodes table", 30, lambda: driver.execute_script(
        "return dxhub.overview && document.querySelectorAll('#nodes tbody tr').length > 0"))
    driver.execute_script("send({type: 'watch', views: []}); dxhub.frames.image.count = 0;")
    time.sleep(1)  # the frames still on their way
    return camera_figures(lab, pair_seconds, both=True)


def show(driver, channel):
    """Switches the page's image view to `channel` (as a person would, with
    the selector) and waits until its frames are drawn."""
    t.wait_for(f"{channel} among the image channels", 30, lambda: driver.execute_script(
        "return Array.from(document.getElementById('image-channel').options)"
        ".some((o) => o.value === arguments[0])", channel))
    # The image view only: the waveform view would pick a camera's `stamps`
    # (the only float field here) and read that camera in every period.
    driver.execute_script(
        "const s = document.getElementById('image-channel'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('change')); dxhub.frames.image.count = 0;"
        "send({type: 'watch', views: [{channel: arguments[0], kind: 'image'}]});", channel)
    t.wait_for(f"frames of {channel} in the image view", 30, lambda: driver.execute_script(
        "return dxhub.frames.image.channel === arguments[0] && dxhub.frames.image.count > 10",
        channel))


def cxx_reader_figures(lab, seconds, poll_ms=None):
    """The camera's figures while `dxhub read` takes its frames with `latest`
    (woken by the publisher), or with `newest` every `poll_ms` as the
    dashboard does: what a subscriber costs the publisher, apart from the
    browser's CPU."""
    if poll_ms:
        policy = ["--policy", "newest", "--poll-ms", str(poll_ms)]
    else:
        policy = ["--policy", "latest"]
    reader = subprocess.Popen([t.DXHUB, "read", CHANNEL,
                               "--frames", str(int(RATE * (seconds + 30))),
                               "--timeout-ms", str(int((seconds + 30) * 1000))] + policy,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=lab.env)
    try:
        camera_figures(lab, 1.5)  # the period in which the reader joins
        return camera_figures(lab, seconds)
    finally:
        reader.kill()
        reader.wait()


def progress(text):
    print(f"dxhub-bench-dashboard: {text}", file=sys.stderr, flush=True)


def rows_of(alone, read, polled, watched, ages, drawn_per_s, pairs):
    rows = [("display", "browser", "latency_p50", percentile(ages, 0.50), "ms"),
            ("display", "browser", "latency_p99", percentile(ages, 0.99), "ms"),
            ("display", "browser", "frames_per_s", drawn_per_s, "frames/s")]
    for variant, f in (("without_page", alone), ("cxx_reader", read),
                       ("cxx_polling_reader", polled), ("with_page", watched)):
        rows += [("publisher", variant, "frames_per_s", f["rate"], "frames/s"),
                 ("publisher", variant, "publish_p50", f["publish_p50"], "us"),
                 ("publisher", variant, "publish_p99", f["publish_p99"], "us")]
    # What the page costs the camera, as with/without ratios (1.0: nothing).
    rows += [("publisher", "with_over_without", "rate_ratio", watched["rate"] / alone["rate"], "x"),
             ("publisher", "with_over_without", "publish_p50_ratio",
              watched["publish_p50"] / alone["publish_p50"], "x"),
             ("publisher", "cxx_reader_over_without", "publish_p50_ratio",
              read["publish_p50"] / alone["publish_p50"], "x"),
             ("publisher", "cxx_polling_reader_over_without", "publish_p50_ratio",
              polled["publish_p50"] / alone["publish_p50"], "x"),
             # What the page costs beyond a subscriber of the same kind.
             ("publisher", "with_over_polling_reader", "publish_p50_ratio",
              watched["publish_p50"] / polled["publish_p50"], "x")]
    if pairs:
        rows += pair_rows(pairs)
    return rows


# The periods of an alternating pair.
WITHOUT, OTHER, WITH, OVERVIEW, SOCKET = 0, 1, 2, 3, 4
NAMES = {WITHOUT: "without", OTHER: "other_camera", WITH: "with", OVERVIEW: "overview",
         SOCKET: "socket"}


def figures_of(pair, side, camera):
    """A camera's figures in one period of a pair."""
    return pair[side] if camera == "cam0" else pair[side]["cam1"]


def pooled_p50(pairs, side, camera="cam0"):
    """p50 of every publish of `camera` in the periods `side` of `pairs`."""
    return statistics.median(us for p in pairs for us in figures_of(p, side, camera)["samples"])


def pooled_ratio(pairs, over=WITH, under=WITHOUT, camera="cam0"):
    """p50 of every publish of the periods `over` (with the page) over p50 of
    every publish of the periods `under` (without it), over the given pairs."""
    return pooled_p50(pairs, over, camera) / pooled_p50(pairs, under, camera)


def interval(pairs, ratio, resamples=2000):
    """The 95 % interval of `ratio(pairs)` from resampling whole pairs (a
    bootstrap: how far it moves with which periods happened to be measured)."""
    rng = random.Random(22)
    spread = sorted(ratio(rng.choices(pairs, k=len(pairs))) for _ in range(resamples))
    return percentile(spread, 0.025), percentile(spread, 0.975)


def pair_rows(pairs):
    """The page's cost from the alternating pairs (with the page against
    without it), split in parts: the browser's load on the machine (showing
    the other camera against no page), the dashboard's reading of this
    camera (showing this camera against the other one, the browser working
    alike) and the overview alone."""
    return (ratio_rows(pairs, "alternating_pairs", WITH, WITHOUT)
            + ratio_rows(pairs, "other_camera_over_without", OTHER, WITHOUT)
            + ratio_rows(pairs, "with_over_other_camera", WITH, OTHER)
            + ratio_rows(pairs, "overview_over_without", OVERVIEW, WITHOUT)
            + both_cameras_rows(pairs, "overview_over_without", OVERVIEW, WITHOUT)
            + ratio_rows(pairs, "socket_over_without", SOCKET, WITHOUT)
            + both_cameras_rows(pairs, "socket_over_without", SOCKET, WITHOUT)
            + shown_rows(pairs))


def ratio_rows(pairs, variant, over, under):
    """The p50 of all publishes of the periods `over` against that of all
    periods `under` (the drift of the machine weighs on both alike), with its
    95 % interval."""
    per_pair = [p[over]["publish_p50"] / p[under]["publish_p50"] for p in pairs]
    low, high = interval(pairs, lambda some: pooled_ratio(some, over, under))
    return [("publisher", variant, "pairs", len(pairs), "pairs"),
            ("publisher", variant, f"{NAMES[under]}_publishes",
             sum(len(p[under]["samples"]) for p in pairs), "publishes"),
            ("publisher", variant, f"{NAMES[over]}_publishes",
             sum(len(p[over]["samples"]) for p in pairs), "publishes"),
            ("publisher", variant, f"{NAMES[under]}_publish_p50", pooled_p50(pairs, under), "us"),
            ("publisher", variant, f"{NAMES[over]}_publish_p50", pooled_p50(pairs, over), "us"),
            ("publisher", variant, "publish_p50_ratio", pooled_ratio(pairs, over, under), "x"),
            ("publisher", variant, "publish_p50_ratio_ci_low", low, "x"),
            ("publisher", variant, "publish_p50_ratio_ci_high", high, "x"),
            ("publisher", variant, "per_pair_ratio_median", statistics.median(per_pair), "x"),
            ("publisher", variant, "rate_ratio",
             statistics.median(p[over]["rate"] / p[under]["rate"] for p in pairs), "x")]


def both_cameras_ratio(pairs, over, under):
    """The geometric mean of both cameras' pooled p50 ratios of the periods
    `over` against `under`: for what weighs on both alike (the overview
    inspects every channel), twice the publishes."""
    return math.sqrt(pooled_ratio(pairs, over, under, "cam0")
                     * pooled_ratio(pairs, over, under, "cam1"))


def both_cameras_rows(pairs, variant, over, under):
    low, high = interval(pairs, lambda some: both_cameras_ratio(some, over, under))
    return [("publisher", variant, "both_cameras_p50_ratio",
             both_cameras_ratio(pairs, over, under), "x"),
            ("publisher", variant, "both_cameras_p50_ratio_ci_low", low, "x"),
            ("publisher", variant, "both_cameras_p50_ratio_ci_high", high, "x")]


def camera_ratio(pairs, side, over, under, figure="samples"):
    """p50 of every publish of camera `over` in the periods `side` over that
    of camera `under` in the same periods (the same seconds); with figure
    "rate", the ratio of their mean frame rates."""
    if figure == "rate":
        return (statistics.mean(figures_of(p, side, over)["rate"] for p in pairs)
                / statistics.mean(figures_of(p, side, under)["rate"] for p in pairs))
    return pooled_p50(pairs, side, over) / pooled_p50(pairs, side, under)


def shown_ratio(pairs, figure="samples"):
    """The dashboard's reading of a channel, each camera the other's control
    in the same seconds: the shown camera over the other one, with the page
    on cam0 and with it on cam1. Their geometric mean cancels whatever makes
    one camera faster than the other (the same in both), and what the browser
    costs the machine weighs on both cameras at once."""
    on_cam0 = camera_ratio(pairs, WITH, "cam0", "cam1", figure)
    on_cam1 = camera_ratio(pairs, OTHER, "cam1", "cam0", figure)
    return math.sqrt(on_cam0 * on_cam1), on_cam0, on_cam1


def shown_rows(pairs):
    ratio, on_cam0, on_cam1 = shown_ratio(pairs)
    low, high = interval(pairs, lambda some: shown_ratio(some)[0])
    variant = "shown_over_unshown_camera"
    return [("publisher", variant, "pairs", len(pairs), "pairs"),
            ("publisher", variant, "publish_p50_ratio", ratio, "x"),
            ("publisher", variant, "publish_p50_ratio_ci_low", low, "x"),
            ("publisher", variant, "publish_p50_ratio_ci_high", high, "x"),
            ("publisher", variant, "cam0_shown_cam0_over_cam1", on_cam0, "x"),
            ("publisher", variant, "cam1_shown_cam1_over_cam0", on_cam1, "x"),
            ("publisher", variant, "no_page_cam0_over_cam1",
             camera_ratio(pairs, WITHOUT, "cam0", "cam1"), "x"),
            ("publisher", variant, "rate_ratio", shown_ratio(pairs, "rate")[0], "x")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("DXHUB_TEST_BINARY_DIR", "build"),
                    help="the build tree holding apps/dxhub (default: %(default)s)")
    ap.add_argument("--seconds", type=float, default=15,
                    help="measuring time with and without the page (default: %(default)s)")
    ap.add_argument("--quick", action="store_true", help="4 s per measurement (for the suite)")
    ap.add_argument("--results", action="store_true", help="also print RESULT lines")
    ap.add_argument("--pairs", type=int, default=20,
                    help="alternating periods without/with the page (default: %(default)s; 0: none)")
    ap.add_argument("--pair-seconds", type=float, default=3,
                    help="length of each of those periods (default: %(default)s)")
    ap.add_argument("--no-pin", action="store_true",
                    help="no CPU pinning: the camera's node shares the cores with the rest")
    o = ap.parse_args()
    seconds = 4.0 if o.quick else o.seconds
    t.DXHUB = os.path.join(o.build, "apps", "dxhub")
    if not os.access(t.DXHUB, os.X_OK):
        sys.exit(f"dxhub-bench-dashboard: no dxhub program at {t.DXHUB} (give --build)")
    camera_cpus, other_cpus = cpu_layout(not o.no_pin)
    # A SIGTERM (`timeout`, kill) leaves through the `finally`s below like
    # Ctrl-C: the browser, the deployment and their files go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("dxhub-bench-dashboard: terminated"))
    lab = t.Lab()
    try:
        n_pairs = 2 if o.quick else max(0, o.pairs)
        pair_seconds = 3.0 if o.quick else o.pair_seconds
        rows = rows_of(*measure(lab, seconds, camera_cpus, other_cpus, n_pairs, pair_seconds))
    except Exception as e:  # the harness fails with pytest's exception: say it plainly
        sys.exit(f"dxhub-bench-dashboard: {e}")
    finally:
        lab.close()
    variant_width = max(len(r[1]) for r in rows)
    metric_width = max(len(r[2]) for r in rows)
    layout = (f"the cameras' nodes on CPU {camera_cpus[0]}, everything else on CPU {other_cpus[0]}"
              if camera_cpus else "unpinned")
    print(f"dashboard, {WIDTH}x{HEIGHT} u16 camera at {RATE:g} Hz, {seconds:g} s per side, {layout}")
    for bench, variant, metric, value, unit in rows:
        print(f"  {bench:<10} {variant:<{variant_width}} {metric:<{metric_width}} {value:>10.3f} {unit}")
    if o.results:
        for bench, variant, metric, value, unit in rows:
            print(f"RESULT\tdashboard\t{bench}\t{variant}\t{SIZE}\t{metric}\t{value:.3f}\t{unit}")


if __name__ == "__main__":
    main()
