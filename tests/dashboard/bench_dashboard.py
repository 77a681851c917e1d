"""What the dashboard costs and how fresh its picture is, measured in a browser.

    /usr/bin/python3 tests/dashboard/bench_dashboard.py [--build build] [--seconds 15]

A deployment with a 640x480 u16 simulated camera at 30 Hz and a dashboard
actor; the camera's own frame rate (its `stats` events) is taken for a
while with no page open, then while headless Chromium shows the camera in
the image view. In the page: the publish-to-display latency of every frame
drawn (the browser's clock at the end of drawing against the frame's
publish time; same host, same clock) and the frames drawn per second.
Prints RESULT lines (section, bench, variant, size, metric, value, unit)
like the other benchmark programs. Not a CTest: it measures, it does not
judge; the machine must be otherwise quiet for the figures to mean much.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import test_dashboard as t  # noqa: E402  (the test's Lab and browser)

WIDTH, HEIGHT, RATE = 640, 480, 30.0


def deployment(lab):
    path = lab.path("bench.toml")
    with open(path, "w") as f:
        f.write(f'''[deployment]
name = "dashbench{os.getpid()}"
grace_ms = 3000

[[nodes]]
name = "display"
  [[nodes.actors]]
  type = "dashboard"
  name = "dashboard"
  params = {{ listen = "127.0.0.1:0", url_file = "{lab.path("dashboard.url")}" }}

[[nodes]]
name = "camera"
  [[nodes.actors]]
  type = "simulated_camera"
  name = "cam0"
  params = {{ width = {WIDTH}, height = {HEIGHT}, rate_hz = {RATE}, stats_period_ms = 1000 }}
  publishes = ["bench/cam0/raw"]
''')
    return path


def camera_fps(lab, seconds):
    """The camera's own frames/s from its stats events over `seconds`."""
    r = subprocess.run([t.DXHUB, "tail", "cam0/stats", "--registry", lab.registry, "--json",
                        "--timeout-ms", str(int(seconds * 1000))],
                       capture_output=True, text=True, env=lab.env, timeout=seconds + 30)
    fps = [json.loads(line)["args"]["fps"] for line in r.stdout.splitlines() if line.strip()]
    return statistics.mean(fps[1:] or fps) if fps else float("nan")


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.environ.get("DXHUB_TEST_BINARY_DIR", "build"))
    ap.add_argument("--seconds", type=float, default=15)
    o = ap.parse_args()
    t.DXHUB = os.path.join(o.build, "apps", "dxhub")
    lab = t.Lab()
    driver = service = None
    try:
        runner = lab.start(["run", deployment(lab), "--duration", str(int(4 * o.seconds + 60)),
                            "--workdir", lab.dir, "--registry", lab.registry], "run")
        lab.join(runner)

        def url():
            with open(lab.path("dashboard.url")) as f:
                return f.read().strip() or None
        page_url = t.wait_for("the dashboard's URL", 30, url)
        time.sleep(2)
        alone = camera_fps(lab, o.seconds)

        driver, service = t.browser()
        driver.get(page_url)
        t.wait_for("frames in the image view", 30,
                   lambda: driver.execute_script("return dxhub.frames.image.count") > 10)
        driver.execute_script("dxhub.frames.image.ages = []; dxhub.frames.image.count = 0;")
        started = time.monotonic()
        watched = camera_fps(lab, o.seconds)
        elapsed = time.monotonic() - started
        ages = driver.execute_script("return dxhub.frames.image.ages")
        shown = driver.execute_script("return dxhub.frames.image.count")
        size = f"{WIDTH * HEIGHT * 2 // 1024}KiB"
        variant = f"{WIDTH}x{HEIGHT}-u16-{RATE:g}Hz"
        rows = [("display", "latency_p50", percentile(ages, 0.50), "ms"),
                ("display", "latency_p99", percentile(ages, 0.99), "ms"),
                ("display", "frames_per_s", shown / elapsed, "frames/s"),
                ("publisher", "rate_without_page", alone, "frames/s"),
                ("publisher", "rate_with_page", watched, "frames/s")]
        for bench, metric, value, unit in rows:
            print(f"RESULT\tdashboard\t{bench}\t{variant}\t{size}\t{metric}\t{value:.3f}\t{unit}")
    finally:
        if driver is not None:
            driver.quit()
        if service is not None and service.process and service.process.poll() is None:
            service.process.kill()
        lab.close()


if __name__ == "__main__":
    main()
