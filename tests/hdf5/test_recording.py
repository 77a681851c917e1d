"""Recordings as HDF5 files, end to end with real processes.

A deployment (simulated camera with the counter pattern, simulated ADC,
centroid, and the stock recorder on a node of its own) runs for a few
seconds while this test reads the file live, sends `set_exposure`, records
with `dxhub record` onto a full tmpfs and an unwritable path, and kills a
`dxhub record` with SIGKILL. Then h5py checks the files bit-exact,
`dxhub verify` checks digests, and a second deployment replays the camera
into the centroid actor, whose results must equal the live ones.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import h5py
import numpy as np
import pytest

BUILD = os.environ.get("DXHUB_TEST_BINARY_DIR", "build")
DXHUB = os.path.join(BUILD, "apps", "dxhub")
CAM = "lab/cam0/raw"
ADC = "lab/adc0/raw"
CTR = "lab/cam0/centroid"
WIDTH, HEIGHT = 256, 192


def deadline_loop(seconds, what):
    """Yields until `seconds` passed, then fails naming `what`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        yield
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class Lab:
    """A scratch directory, a private shared-memory prefix, and every process
    started, all cleaned up at the end."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="dxhub-hdf5-")
        self.prefix = "dxh" + uuid.uuid4().hex[:8] + "."
        self.env = dict(os.environ)
        self.env.pop("DXHUB_REGISTRY", None)
        self.env["DXHUB_SHM_PREFIX"] = self.prefix
        self.env["HDF5_USE_FILE_LOCKING"] = "FALSE"
        # The nodes' ipc sockets in here, removed with it (a node killed with -9
        # cannot remove its own).
        self.env["XDG_RUNTIME_DIR"] = self.dir
        self.procs = []
        self.mounts = []
        self.prefixes = [self.prefix]

    def join(self, runner):
        """Takes the shared-memory prefix `dxhub run` gives its deployment (it
        prints it for other shells), so that `dxhub record` finds the channels."""
        end = time.monotonic() + 20
        while True:
            with open(runner.err_file) as f:
                text = f.read()
            if time.monotonic() > end or runner.poll() is not None:
                pytest.fail("dxhub run printed no shared-memory prefix: " + text)
            time.sleep(0.05)
            at = text.find("DXHUB_SHM_PREFIX=")
            if at >= 0:
                prefix = text[at + len("DXHUB_SHM_PREFIX="):].split()[0]
                self.env["DXHUB_SHM_PREFIX"] = prefix
                self.prefixes.append(prefix)
                return

    def path(self, name):
        return os.path.join(self.dir, name)

    def start(self, args, name):
        err = open(self.path(name + ".err"), "w")
        p = subprocess.Popen([DXHUB] + args, stdout=subprocess.PIPE, stderr=err, env=self.env,
                             start_new_session=True, text=True)
        p.err_file = self.path(name + ".err")
        self.procs.append(p)
        return p

    def run(self, args, timeout=60):
        r = subprocess.run([DXHUB] + args, capture_output=True, text=True, env=self.env,
                           timeout=timeout)
        return r

    def stop(self, p, timeout=30):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=timeout)
        return out

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        for m in self.mounts:
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        for entry in os.listdir("/dev/shm"):
            if any(entry.startswith(p) for p in self.prefixes):
                try:
                    os.unlink(os.path.join("/dev/shm", entry))
                except OSError:
                    pass


def deployment(lab, name, body):
    path = lab.path(name + ".toml")
    with open(path, "w") as f:
        f.write(f'[deployment]\nname = "{name}-{uuid.uuid4().hex[:6]}"\ngrace_ms = 5000\n\n'
                '[restart]\nkind = "permanent"\nmax_restarts = 3\nwithin_s = 60\n'
                'backoff_ms = 100\nheartbeat_timeout_ms = 5000\n\n' + body)
    return path


def open_live(path):
    """The file opened for reading while it may be written (SWMR)."""
    return h5py.File(path, "r", swmr=True)


def frames_in(path, channel):
    try:
        with open_live(path) as f:
            return f["channels/" + channel + "/header"].shape[0]
    except Exception:  # not live yet, or the channel not created yet
        return 0


def camera_events_in(path):
    try:
        with open_live(path) as f:
            return sum(1 for e in f["audit/events"][:] if e["source"].endswith(b"cam0"))
    except Exception:  # not live yet
        return 0


def commands_in(path, name):
    try:
        with open_live(path) as f:
            return sum(1 for c in f["audit/commands"][:] if c["command"] == name)
    except Exception:  # not live yet
        return 0


def frame_taken_after_command(path, channel, command, ns):
    """Whether `path` holds a frame of `channel` taken more than `ns` after
    the first `command` it recorded."""
    try:
        with open_live(path) as f:
            cmds = [c for c in f["audit/commands"][:] if c["command"] == command]
            if not cmds:
                return False
            wall = f["channels/" + channel + "/header"]["wall_ns"]
            return bool(np.any(wall > int(cmds[0]["wall_ns"]) + ns))
    except Exception:  # not live yet
        return False


def expected_image(counter):
    img = ((counter * 7 + np.arange(WIDTH * HEIGHT, dtype=np.uint64)) & 0xFFFF).astype(np.uint16)
    for i in range(4):
        img[i] = (counter >> (16 * i)) & 0xFFFF
    return img.reshape(HEIGHT, WIDTH)


def check_camera_frames(group):
    """Every frame of a camera group bit-exact; returns the frame count."""
    images = group["fields/image"]
    stamps = group["fields/stamps"]
    headers = group["header"]
    n = headers.shape[0]
    assert n > 0
    assert images.shape[0] >= n and stamps.shape[0] >= n
    for i in range(n):
        counter = int(stamps[i][0])
        assert np.array_equal(images[i], expected_image(counter)), f"frame {i} differs"
    return n


def send(lab, registry, service, command, args=None):
    cmd = ["send", service, command, "--registry", registry, "--json"]
    if args is not None:
        cmd += ["--json-args", json.dumps(args)]
    r = lab.run(cmd)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def result_of(reply):
    res = reply.get("result", reply)
    return json.loads(res) if isinstance(res, str) else res


@pytest.fixture(scope="module")
def live():
    """Runs the live deployment, doing everything that needs it running; the
    tests below check what it observed and the files it left."""
    lab = Lab()
    seen = {}
    try:
        registry = "ipc://" + lab.path("registry")
        run_file = lab.path("run.h5")
        body = f'''
[[nodes]]
name = "cams"
  [[nodes.actors]]
  type = "simulated_camera"
  name = "cam0"
  params = {{ width = {WIDTH}, height = {HEIGHT}, rate_hz = 40.0, pattern = "counter", stats_period_ms = 500 }}
  publishes = ["{CAM}"]
  [[nodes.actors]]
  type = "simulated_adc"
  name = "adc0"
  params = {{ channels = 2, block = 256, sample_rate_hz = 5120.0 }}
  publishes = ["{ADC}"]

[[nodes]]
name = "ana"
  [[nodes.actors]]
  type = "centroid"
  name = "centroid0"
  params = {{ stats_period_ms = 500 }}
  subscribes = ["{CAM}"]

[[nodes]]
name = "rec"
  [[nodes.actors]]
  type = "recorder"
  name = "rec0"
  params = {{ path = "{run_file}", channels = ["{CAM}", "{ADC}", "{CTR}"], units = {{ image = "counts", samples = "V" }} }}
'''
        dep = deployment(lab, "hdf5live", body)
        runner = lab.start(["run", dep, "--duration", "90", "--workdir", lab.dir, "--registry",
                            registry, "--json"], "run")
        lab.join(runner)
        seen["registry"] = registry

        # Live reading: frames appear, and more frames appear after a refresh.
        for _ in deadline_loop(30, "the recording to go live with frames of every channel"):
            if min(frames_in(run_file, c) for c in (CAM, ADC, CTR)) >= 5:
                break
        with open_live(run_file) as f:
            headers = f["channels/" + CAM + "/header"]
            first = headers.shape[0]
            for _ in deadline_loop(15, "more frames in the live file"):
                headers.refresh()
                if headers.shape[0] >= first + 10:
                    break
            images = f["channels/" + CAM + "/fields/image"]
            stamps = f["channels/" + CAM + "/fields/stamps"]
            images.refresh()
            stamps.refresh()
            last = headers.shape[0] - 1
            seen["live_first"] = first
            seen["live_later"] = headers.shape[0]
            seen["live_frame_ok"] = bool(
                np.array_equal(images[last], expected_image(int(stamps[last][0]))))

        # kill -9 of a recorder in the middle of its run.
        killed = lab.path("killed.h5")
        rec = lab.start(["record", CAM, "--out", killed, "--registry", registry,
                         "--live-after-ms", "0"], "killed")
        for _ in deadline_loop(20, "dxhub record to write frames"):
            if frames_in(killed, CAM) >= 20:
                break
        seen["killed_before"] = frames_in(killed, CAM)
        os.killpg(rec.pid, signal.SIGKILL)
        rec.wait(timeout=10)
        seen["killed"] = killed

        # A command of the run, to be found in the file written by `dxhub
        # record` and in the deployment's own recording.
        audit_file = lab.path("audit.h5")
        arec = lab.start(["record", CAM, "--out", audit_file, "--registry", registry,
                          "--seconds", "30", "--live-after-ms", "0"], "audit")
        # Events of the camera's node in the file: the event relay to the
        # recorder is up. The serving node records the command it answers,
        # so one send is enough, however soon `dxhub send` exits.
        for _ in deadline_loop(20, "dxhub record to write frames and events of the camera"):
            if frames_in(audit_file, CAM) >= 10 and camera_events_in(audit_file) > 0:
                break
        seen["first_send_ns"] = time.time_ns()
        seen["exposure_reply"] = send(lab, registry, "cam0", "set_exposure", {"ms": 20.0})
        for _ in deadline_loop(10, "the set_exposure record in the live file"):
            if commands_in(audit_file, b"set_exposure"):
                break
        # How many frames came before the command depends on the machine's
        # speed: wait for what the test checks, frames taken 1 s after it.
        for _ in deadline_loop(10, "a frame taken more than 1 s after the exposure change"):
            if frame_taken_after_command(audit_file, CAM, b"set_exposure", 10**9):
                break
        lab.stop(arec)
        seen["audit_file"] = audit_file

        # A full disk: a 512 KiB tmpfs fills after a few frames.
        before = result_of(send(lab, registry, "cam0", "get_state"))["frames"]
        rec_before = result_of(send(lab, registry, "rec0", "get_state"))["frames"]
        full_dir = lab.path("full")
        os.makedirs(full_dir)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", full_dir],
                                 capture_output=True, text=True)
        if mounted.returncode == 0:
            lab.mounts.append(full_dir)
            r = lab.run(["record", CAM, "--out", os.path.join(full_dir, "x.h5"), "--registry",
                         registry, "--seconds", "2", "--json"])
            seen["full_disk"] = (r.returncode, r.stderr)
            subprocess.run(["umount", full_dir], capture_output=True)
            lab.mounts.remove(full_dir)
        else:
            seen["full_disk"] = None
        seen["cam_frames_grew"] = result_of(send(lab, registry, "cam0", "get_state"))["frames"] > before
        rec_state = result_of(send(lab, registry, "rec0", "get_state"))
        seen["recorder_after_full_disk"] = (rec_state["frames"] > rec_before, rec_state["failures"])

        # An unwritable path.
        r = lab.run(["record", CAM, "--out", "/proc/dxhub-no-such-dir/x.h5", "--registry",
                     registry])
        seen["unwritable"] = (r.returncode, r.stderr)

        # Let frames after the exposure change accumulate, then stop the run.
        for _ in deadline_loop(10, "frames after the exposure change"):
            if frames_in(run_file, CAM) >= seen["live_later"] + 60:
                break
        lab.stop(runner)
        seen["run_file"] = run_file
        seen["lab"] = lab
        yield seen
    finally:
        lab.close()


def test_every_camera_frame_is_recorded_bit_exact_with_its_header(live):
    with h5py.File(live["run_file"], "r") as f:
        g = f["channels/" + CAM]
        n = check_camera_frames(g)
        assert n >= 60
        h = g["header"][:]
        seq = h["sequence"].astype(np.int64)
        counters = g["fields/stamps"][:n, 0].astype(np.int64)
        same = h["session"][1:] == h["session"][:-1]
        # Gaps are visible: `missed` is exactly the sequence gap within a session.
        assert np.array_equal((seq[1:] - seq[:-1] - 1)[same], h["missed"][1:][same].astype(np.int64))
        assert np.all(np.diff(counters)[same] > 0)
        assert h["new_session"][0] == 1


def test_schemas_units_and_provenance_are_attributes(live):
    with h5py.File(live["run_file"], "r") as f:
        assert f.attrs["dxhub_format"] == "dxhub.recording"
        assert f.attrs["complete"] == 1
        assert f.attrs["status"] == "complete"
        assert "simulated_camera" in f.attrs["deployment"]
        assert f.attrs["dxhub_version"]
        assert f.attrs["host"]
        assert f.attrs["stopped_wall_ns"] > f.attrs["started_wall_ns"]
        cam = f["channels/" + CAM]
        schema = json.loads(cam.attrs["schema"])
        assert schema["name"] == "dxhub.camera"
        img = cam["fields/image"]
        assert img.dtype == np.uint16 and img.shape[1:] == (HEIGHT, WIDTH)
        assert img.chunks == (1, HEIGHT, WIDTH)
        assert img.attrs["units"] == "counts"
        assert img.attrs["dtype"] == "u16"
        assert list(img.attrs["shape"]) == [HEIGHT, WIDTH]
        adc = f["channels/" + ADC]
        assert adc["fields/samples"].dtype == np.float32
        assert adc["fields/samples"].attrs["units"] == "V"
        assert adc["header"].shape[0] > 0
        assert f["channels/" + CTR + "/header"].shape[0] > 0


def test_the_set_exposure_command_is_in_the_file_with_its_arguments(live):
    with h5py.File(live["audit_file"], "r") as f:
        cmds = f["audit/commands"][:]
        hits = [c for c in cmds if c["command"] == b"set_exposure"]
        assert hits, [c["command"] for c in cmds]
        cmd = hits[0]
        assert json.loads(cmd["args"])["ms"] == 20.0
        assert cmd["error"] == b""
        assert cmd["service"] == b"cam0"
        # "What was the exposure when frame N was taken" is one query.
        g = f["channels/" + CAM]
        wall = g["header"]["wall_ns"]
        exposure = g["fields/stamps"][:, 2]
        t = int(cmd["wall_ns"])
        assert np.all(exposure[wall < live["first_send_ns"]] == 10.0)
        assert np.all(exposure[wall > t + 10**9] == 20.0)
        assert np.any(wall > t + 10**9)


def test_the_deployment_recorder_has_the_set_exposure_command_too(live):
    with h5py.File(live["run_file"], "r") as f:
        cmds = f["audit/commands"][:]
        hits = [c for c in cmds if c["command"] == b"set_exposure"]
        assert hits, [c["command"] for c in cmds]
        assert json.loads(hits[0]["args"])["ms"] == 20.0


def test_the_file_is_readable_live_while_recording(live):
    assert live["live_first"] >= 5
    assert live["live_later"] >= live["live_first"] + 10
    assert live["live_frame_ok"]


def test_a_recorder_killed_with_sigkill_leaves_every_committed_frame_marked_incomplete(live):
    with open_live(live["killed"]) as f:
        assert f.attrs["complete"] == 0
        assert f.attrs["status"] == "recording"
        n = check_camera_frames(f["channels/" + CAM])
        assert n >= live["killed_before"] >= 20
    r = live["lab"].run(["verify", live["killed"], "--json"])
    report = json.loads(r.stdout)
    assert report["complete"] is False


def test_verify_passes_and_detects_a_flipped_byte(live):
    lab = live["lab"]
    r = lab.run(["verify", live["run_file"], "--json"])
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["ok"] and report["complete"]
    names = {d["dataset"] for d in report["datasets"]}
    assert "/channels/" + CAM + "/fields/image" in names
    assert "/audit/commands" in names
    flipped = lab.path("flipped.h5")
    shutil.copy(live["run_file"], flipped)
    with h5py.File(flipped, "r") as f:
        offset = f["channels/" + CAM + "/fields/image"].id.get_chunk_info(3).byte_offset
    with open(flipped, "r+b") as out:
        out.seek(offset + 1000)
        b = out.read(1)
        out.seek(offset + 1000)
        out.write(bytes([b[0] ^ 0x10]))
    r = lab.run(["verify", flipped, "--json"])
    assert r.returncode == 1
    report = json.loads(r.stdout)
    bad = [d["dataset"] for d in report["datasets"] if not d["ok"]]
    assert bad == ["/channels/" + CAM + "/fields/image"]


def test_bad_input_gets_clear_errors_and_the_publisher_keeps_running(live):
    lab = live["lab"]
    code, err = live["unwritable"]
    assert code != 0 and "cannot create recording" in err, err
    if live["full_disk"] is None:
        pytest.skip("no tmpfs mount (needs root)")
    code, err = live["full_disk"]
    assert code == 1 and "No space left on device" in err, err
    assert live["cam_frames_grew"]
    grew, failures = live["recorder_after_full_disk"]
    assert grew and failures == 0
    garbage = lab.path("garbage.h5")
    with open(garbage, "wb") as f:
        f.write(os.urandom(4096))
    r = lab.run(["verify", garbage])
    assert r.returncode != 0 and "not an HDF5 file" in r.stderr
    r = lab.run(["replay", garbage, "--registry", live["registry"]])
    assert r.returncode != 0 and "not an HDF5 file" in r.stderr
    cut = lab.path("cut.h5")
    with open(live["run_file"], "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(os.path.getsize(live["run_file"]) // 2))
    r = lab.run(["verify", cut])
    assert r.returncode != 0 and r.stderr.startswith("dxhub verify:")


def test_replay_into_the_centroid_actor_gives_the_live_results(live):
    lab = live["lab"]
    registry = "ipc://" + lab.path("registry2")
    replay_file = lab.path("replay.h5")
    body = f'''
[[nodes]]
name = "ana"
  [[nodes.actors]]
  type = "centroid"
  name = "centroid0"
  params = {{ stats_period_ms = 500 }}
  subscribes = ["{CAM}"]

[[nodes]]
name = "rec"
  [[nodes.actors]]
  type = "recorder"
  name = "rec1"
  params = {{ path = "{replay_file}", channels = ["{CAM}", "{CTR}"], policy = "reliable" }}

[[nodes]]
name = "rep"
  [[nodes.actors]]
  type = "replayer"
  name = "replayer0"
  params = {{ path = "{live['run_file']}", channels = ["{CAM}"], rate = 2.0, start_delay_ms = 1500 }}
  publishes = ["{CAM}"]
'''
    dep = deployment(lab, "hdf5replay", body)
    runner = lab.start(["run", dep, "--duration", "90", "--workdir", lab.dir, "--registry",
                        registry, "--json"], "replay-run")
    lab.join(runner)
    state = {}
    for _ in deadline_loop(60, "the replay to finish"):
        r = lab.run(["send", "replayer0", "get_state", "--registry", registry, "--json"])
        if r.returncode == 0:
            state = result_of(json.loads(r.stdout))
            if state.get("done"):
                break
    with h5py.File(live["run_file"], "r") as f:
        recorded = f["channels/" + CAM + "/header"].shape[0]
        live_ctr = f["channels/" + CTR + "/fields/centroid"][:]
        run_id = f.attrs["run_id"]
    assert state["published"] == recorded
    # The replayed frames reach the centroid; wait for its last results.
    last = -1
    for _ in deadline_loop(20, "the centroid results of the replay"):
        n = frames_in(replay_file, CTR)
        if n > 0 and n == last:
            break
        last = n
        time.sleep(0.3)
    lab.stop(runner)
    with h5py.File(replay_file, "r") as f:
        replay_ctr = f["channels/" + CTR + "/fields/centroid"][:]
        raw = f["channels/" + CAM]
        meta = json.loads(raw["header"][0]["meta"])
        assert meta["replay_of"] == run_id
        check_camera_frames(raw)
    live_by_counter = {int(row[5]): row for row in live_ctr if row[5] >= 0}
    replay_by_counter = {int(row[5]): row for row in replay_ctr if row[5] >= 0}
    common = set(live_by_counter) & set(replay_by_counter)
    assert len(common) >= 0.8 * len(replay_by_counter) > 0
    for c in common:
        assert np.array_equal(live_by_counter[c][:4], replay_by_counter[c][:4]), c
