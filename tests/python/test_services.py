"""Services across processes: a Python service called from the `dxhub send`
CLI and from another Python process; errors named after the vocabulary."""

import json
import os
import signal
import textwrap
import uuid

import pytest

import dxhub
from conftest import json_line, wait_until

# A Python service in a process of its own: `stage`-like commands, one that
# raises, and `quit`.
STAGE = textwrap.dedent("""
    import sys
    import dxhub
    position = {"x": 0.0}

    def move_to(x, speed=1.0):
        if not -100 <= x <= 100:
            raise dxhub.errors.error("invalid_argument", "x=%s is out of range" % x)
        position["x"] = float(x)
        return {"x": position["x"], "speed": speed}

    def where():
        return position

    def broken():
        raise RuntimeError("the stage controller is on fire")

    dxhub.serve(sys.argv[1], {"move_to": move_to, "where": where, "broken": broken})
    print("serving", flush=True)
    dxhub.serve_forever()
""")


@pytest.fixture
def stage(children):
    name = "py/stage" + uuid.uuid4().hex[:6]
    p = children.python(STAGE, name)
    line = p.stdout.readline()
    assert line.startswith("serving"), line + p.stderr.read()

    def registered():
        try:
            return dxhub.call(name, "where") is not None
        except dxhub.errors.UnknownService:
            return False

    # The registry learns of the service a moment after serve() returns.
    wait_until(registered, 10, "the registry knows " + name)
    return name, p


def send(children, *args):
    p = children.dxhub("send", *args, "--json", "--timeout-ms", "5000")
    return children.finish(p, timeout=30)


def test_a_python_service_answers_the_cli(stage, children):
    name, _ = stage
    rc, out, err = send(children, name, "move_to", "--arg", "x=12.5")
    assert rc == 0, err
    assert json_line(out)["result"] == {"x": 12.5, "speed": 1.0}
    rc, out, err = send(children, name, "where")
    assert rc == 0, err
    assert json_line(out)["result"] == {"x": 12.5}
    rc, out, err = send(children, name, "move_to", "--arg", "y=1")
    assert rc != 0 and "unexpected keyword argument 'y'" in err, err


def test_an_exception_in_a_handler_reaches_the_caller_and_the_service_keeps_serving(
        stage, children):
    name, _ = stage
    rc, out, err = send(children, name, "broken")
    assert rc != 0
    assert "RuntimeError: the stage controller is on fire" in err + out
    with pytest.raises(dxhub.errors.ServiceError) as caught:
        dxhub.call(name, "broken")
    assert "the stage controller is on fire" in str(caught.value)
    with pytest.raises(dxhub.errors.InvalidArgument) as caught:
        dxhub.call(name, "move_to", x=1000)
    assert "out of range" in str(caught.value)
    assert dxhub.call(name, "move_to", x=3) == {"x": 3.0, "speed": 1.0}


def test_python_calls_raise_errors_named_after_the_vocabulary(stage):
    name, _ = stage
    with pytest.raises(dxhub.errors.UnknownCommand):
        dxhub.call(name, "warp_drive")
    with pytest.raises(dxhub.errors.InvalidArgument):
        dxhub.call(name, "move_to", y=1)  # arguments the function does not take
    with pytest.raises(dxhub.errors.UnknownService):
        dxhub.call("py/nosuch", "where", timeout=2)
    assert issubclass(dxhub.errors.Timeout, TimeoutError)


def test_calling_a_dead_service_is_an_error_not_a_hang(stage):
    name, p = stage
    assert dxhub.call(name, "where") == {"x": 0.0}
    os.killpg(p.pid, signal.SIGKILL)
    p.wait(timeout=10)
    with pytest.raises((dxhub.errors.PeerDown, dxhub.errors.Timeout,
                        dxhub.errors.UnknownService)):
        dxhub.call(name, "where", timeout=2)


def test_a_service_in_this_process_serves_this_process_too():
    name = "py/local" + uuid.uuid4().hex[:6]
    with dxhub.serve(name, {"add": lambda a, b: a + b}):
        assert dxhub.call(name, "add", a=2, b=40) == 42


def test_events_reach_another_process(children):
    topic = "py/ev" + uuid.uuid4().hex[:6]
    tail = children.dxhub("tail", topic, "--count", "1", "--json", "--timeout-ms", "20000")
    watch = dxhub.watch(topic)
    # The tail's watch travels to the relay first: emit until it has one.
    import time
    deadline = time.monotonic() + 20
    while tail.poll() is None and time.monotonic() < deadline:
        dxhub.emit(topic + "/state", "state", {"running": True})
        time.sleep(0.1)
    rc, out, err = children.finish(tail, timeout=30)
    assert rc == 0, err
    ev = json_line(out)
    assert ev["action"] == "state" and ev["target"] == topic + "/state"
    assert ev["args"] == {"running": True} and ev["caller"].startswith("py-")
    mine = watch.next(timeout=5)
    assert mine is not None and mine["data"] == {"running": True}
    watch.close()


def test_a_cpp_actor_calls_a_python_service(stage, children, tmp_path):
    name, _ = stage
    ctl = "pyctl" + uuid.uuid4().hex[:6]
    deployment = tmp_path / (ctl + ".toml")
    deployment.write_text(textwrap.dedent("""
        [deployment]
        name = "%s"

        [[nodes]]
        name = "ctl"

          [[nodes.actors]]
          type = "controller"
          name = "%s"
          params = { target = "%s", loop = false, interval_ms = 100, start_delay_ms = 300, timeout_ms = 3000, script = [{ command = "move_to", args = { x = 7.5 } }] }
    """) % (ctl, ctl, name))
    steps = dxhub.watch(ctl + "/step")
    import conftest
    node = children.start([conftest.os.path.join(conftest.BUILD, "apps", "dxhub-node"),
                           "--deployment", str(deployment), "--node", "ctl", "--registry",
                           conftest.REGISTRY, "--duration-s", "30"])
    step = steps.next(timeout=20)
    assert step is not None, "the controller reported its step"
    assert step["data"]["command"] == "move_to" and step["data"]["ok"], step
    assert dxhub.call(name, "where") == {"x": 7.5}
    steps.close()
    node.terminate()
    children.finish(node, timeout=30)
