"""Behaves like Python: the GIL is let go while waiting, Ctrl-C interrupts a
wait, and the interpreter exits cleanly with frames, publishers, services and
watches still open (no segment, thread or process left behind)."""

import os
import signal
import textwrap
import threading
import uuid

import numpy as np
import pytest

import dxhub
from conftest import segment_of, segments

EXIT_WITH_EVERYTHING_OPEN = textwrap.dedent("""
    import sys
    import numpy as np
    import dxhub
    channel = sys.argv[1]
    schema = dxhub.schema(image=("u16", (32, 32)))
    pub = dxhub.publish(channel, schema)
    sub = dxhub.subscribe(channel, window=8, queue_depth=4)
    dxhub.serve(channel.replace("/raw", "/svc"), {"ping": lambda: "pong"})
    watch = dxhub.watch("py")
    held = []
    while len(held) < 6:
        pub.publish_copy(image=np.full((32, 32), len(held), np.uint16))
        f = sub.take(timeout=0.2)
        if f is not None:
            held.append(f["image"])
    print("holding", len(held), flush=True)
    # No close(): the interpreter's exit must clean up.
""")


def test_interpreter_exit_with_frames_held_leaks_nothing(children):
    prefix = "dxpyexit%s." % uuid.uuid4().hex[:6]
    env = dict(os.environ, DXHUB_SHM_PREFIX=prefix)
    p = children.python(EXIT_WITH_EVERYTHING_OPEN, "py/exit/raw", env=env)
    rc, out, err = children.finish(p, timeout=60)
    assert rc == 0, err
    assert "holding 6" in out
    assert segments(prefix) == []


WAIT_FOR_EVER = textwrap.dedent("""
    import dxhub
    sub = dxhub.subscribe("py/never/raw")
    try:
        print("waiting", flush=True)
        sub.take()
    except KeyboardInterrupt:
        print("interrupted", flush=True)
""")


def test_ctrl_c_interrupts_a_blocking_take(children):
    p = children.python(WAIT_FOR_EVER)
    assert p.stdout.readline().startswith("waiting")
    p.send_signal(signal.SIGINT)
    rc, out, err = children.finish(p, timeout=30)
    assert rc == 0, err
    assert "interrupted" in out


# A service whose "hang" command answers only when its stdin closes.
HANGING_SERVICE = textwrap.dedent("""
    import sys, threading
    import dxhub
    stop = threading.Event()

    def hang():
        print("handling", flush=True)
        stop.wait(120)
        return "late"

    svc = dxhub.serve(sys.argv[1], {"hang": hang, "ping": lambda: "pong"})
    print("serving", flush=True)
    sys.stdin.read()
    stop.set()
    svc.close()
""")

# Calls "hang" with a timeout far beyond the test's bounds, then reports.
CALL_FOR_EVER = textwrap.dedent("""
    import sys
    import dxhub
    print(dxhub.call(sys.argv[1], "ping", timeout=20), flush=True)
    try:
        dxhub.call(sys.argv[1], "hang", timeout=600)
        print("answered", flush=True)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    # Calls still work after one was cut off (its actor is not reused).
    dxhub.serve(sys.argv[1] + "b", {"ping": lambda: "pong again"})
    print(dxhub.call(sys.argv[1] + "b", "ping", timeout=20), flush=True)
""")


def test_ctrl_c_interrupts_a_blocking_call(children):
    import subprocess
    prefix = "dxpycall%s." % uuid.uuid4().hex[:6]
    env = dict(os.environ, DXHUB_SHM_PREFIX=prefix)
    name = "py/hang%s" % uuid.uuid4().hex[:6]
    service = children.python(HANGING_SERVICE, name, env=env, stdin=subprocess.PIPE)
    assert service.stdout.readline().startswith("serving"), service.stderr.read()
    caller = children.python(CALL_FOR_EVER, name, env=env)
    assert caller.stdout.readline().startswith("pong"), caller.stderr.read()
    # The call is in flight: the service runs its handler.
    assert service.stdout.readline().startswith("handling")
    caller.send_signal(signal.SIGINT)
    # Far below the call's 600 s: the wait ended, and so did interpreter exit.
    rc, out, err = children.finish(caller, timeout=30)
    assert rc == 0, err
    assert "interrupted" in out and "answered" not in out
    assert "pong again" in out
    # communicate() closes its stdin: the handler answers, the service ends.
    rc, out, err = children.finish(service, timeout=30)
    assert rc == 0, err
    assert segments(prefix) == []


def test_a_blocked_take_lets_other_threads_run():
    sub = dxhub.subscribe("py/quiet%s/raw" % uuid.uuid4().hex[:6])
    waiter = threading.Thread(target=sub.take, args=(1.0,))
    waiter.start()
    spins = 0
    while waiter.is_alive():
        spins += 1
    waiter.join()
    sub.close()
    # Held GIL: this loop could not have run while the other thread waited.
    assert spins > 1000


def test_objects_are_context_managers_and_close_twice(channel):
    schema = dxhub.schema(x=("f64", (3,)))
    with dxhub.publish(channel, schema) as pub, dxhub.subscribe(channel) as sub:
        assert segments(segment_of(channel)) != []
        pub.publish_copy(x=np.array([1.0, 2.0, 3.0]))
    pub.close()
    sub.close()
    assert segments(segment_of(channel)) == [], "the channel's segment goes with its publisher"
    with pytest.raises(dxhub.errors.InvalidArgument):
        pub.publish_copy(x=np.zeros(3))
    with pytest.raises(dxhub.errors.InvalidArgument):
        sub.take(timeout=0)


def test_asyncio_awaits_a_frame_while_the_loop_runs(channel):
    import asyncio
    schema = dxhub.schema(x=("f64", (3,)))
    pub = dxhub.publish(channel, schema)
    sub = dxhub.subscribe(channel)

    async def main():
        ticks = 0
        got = None
        for _ in range(200):
            waiting = asyncio.ensure_future(sub.take_async(0.05))
            pub.publish_copy(x=np.array([1.0, 2.0, 3.0]))
            while not waiting.done():
                ticks += 1  # the loop runs while take waits on its executor
                await asyncio.sleep(0)
            got = waiting.result()
            if got is not None:
                break
        return got, ticks

    frame, ticks = asyncio.run(main())
    assert frame is not None and list(frame["x"]) == [1.0, 2.0, 3.0]
    assert ticks > 0
    del frame
    sub.close()
    pub.close()
