"""The Python side of dxhub-bench-python (run by it, not by hand).

    dxhub_bench_python.py sub CHANNEL FRAMES flat|paced
    dxhub_bench_python.py call SERVICE CALLS

What a Python user writes: `sub.take()` and `frame["data"]` (a zero-copy
numpy view), `dxhub.call(...)`. Prints the same lines as the C++ side.
"""

import sys
import time

import dxhub

WARM_UP = 20  # frames before a rate's clock starts, as on the C++ side
# Frames the reader may hold unread, as on the C++ side: with 4, each frame waits
# for a thread to wake (the cores idle, the rate is the wake-ups'); 16 lets the
# reader run through a batch, so the rate is the reader's own cost.
WINDOW = 16


def subscriber(channel, frames, paced):
    dxhub.init(networked=False)
    sub = dxhub.subscribe(channel, policy="reliable", window=WINDOW)
    samples = []
    got = 0
    first = last = 0
    while got < frames:
        f = sub.take(timeout=30)
        if f is None:
            break
        now = time.monotonic_ns()
        f["data"]  # the numpy view a user reads
        if got == WARM_UP:  # the first frames pay one-time costs (imports, dtypes)
            first = now
        last = now
        if paced and got >= WARM_UP:
            samples.append(now - f.header["monotonic_ns"])
        got += 1
        del f
    sub.close()
    if paced:
        print("latency_ns", " ".join(str(s) for s in samples), flush=True)
    elif got > WARM_UP + 1 and last > first:
        print("rate", (got - 1 - WARM_UP) * 1e9 / (last - first), flush=True)
    return 0 if got == frames else 1


def caller(service, calls):
    for _ in range(50):
        try:
            dxhub.call(service, "echo", x=1)
            break
        except dxhub.errors.Error:
            time.sleep(0.1)
    for _ in range(50):
        dxhub.call(service, "echo", x=1)
    samples = []
    for _ in range(calls):
        start = time.monotonic_ns()
        dxhub.call(service, "echo", x=1)
        samples.append(time.monotonic_ns() - start)
    print("latency_ns", " ".join(str(s) for s in samples), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "sub":
        sys.exit(subscriber(sys.argv[2], int(sys.argv[3]), sys.argv[4] == "paced"))
    sys.exit(caller(sys.argv[2], int(sys.argv[3])))
