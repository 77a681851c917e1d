"""Python actors in a `dxhub run` deployment, supervised like C++ ones: an
exception restarts the actor, `kill -9` of its node restarts the node, a
hung actor ends its node (which is restarted), and the actor resumes taking
the camera's frames each time."""

import json
import os
import signal
import subprocess
import textwrap
import uuid

import pytest

from conftest import BUILD, DXHUB, segments, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.join(BUILD, "python", "libdxhub_python_actors.so")


def deployment(tmp_path, name):
    text = textwrap.dedent("""
        [deployment]
        name = "%(name)s"
        grace_ms = 2000

        [restart]
        kind = "permanent"
        max_restarts = 10
        within_s = 60
        backoff_ms = 100
        heartbeat_timeout_ms = 5000

        [[nodes]]
        name = "cams"

          [[nodes.actors]]
          type = "simulated_camera"
          name = "cam0"
          params = { width = 32, height = 24, rate_hz = 100.0, pattern = "counter" }
          publishes = ["%(name)s/cam0/raw"]

        [[nodes]]
        name = "py"
        plugins = ["%(plugin)s"]
        env = { PYTHONPATH = "%(path)s" }

          [[nodes.actors]]
          type = "python"
          name = "%(name)s-counter"
          module = "pyactors:FrameCounter"
          subscribes = ["%(name)s/cam0/raw"]
          restart = { watchdog_ms = 1000 }
    """) % dict(name=name, plugin=PLUGIN,
                path=os.path.join(BUILD, "python") + ":" + HERE)
    path = tmp_path / (name + ".toml")
    path.write_text(text)
    return path


def send(registry, service, command):
    r = subprocess.run([DXHUB, "send", service, command, "--json", "--timeout-ms", "3000",
                        "--registry", registry], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return None
    for line in reversed(r.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)["result"]
    return None


@pytest.mark.skipif(not os.path.exists(PLUGIN), reason="the Python actor plugin is not built")
def test_a_python_actor_is_restarted_after_an_exception_and_after_kill_9_of_its_node(
        tmp_path, children):
    name = "pyact" + uuid.uuid4().hex[:6]
    registry = "ipc://" + str(tmp_path / "registry")
    run = children.dxhub("run", str(deployment(tmp_path, name)), "--duration", "120",
                         "--workdir", str(tmp_path), "--registry", registry)
    actor = name + "-counter"

    def counting(more_than=0, starts=None, pid=None):
        def check():
            c = send(registry, actor, "count")
            if c is None or c["frames"] <= more_than:
                return None
            if starts is not None and c["starts"] != starts:
                return None
            if pid is not None and c["pid"] == pid:
                return None
            return c
        return check

    first = wait_until(counting(), 60, "the Python actor counts camera frames")
    assert first["bad"] == 0 and first["starts"] == 1

    # An exception in the actor: the caller gets its text, the supervisor
    # restarts the actor (fresh state, same node) and frames flow again.
    assert send(registry, actor, "crash") is None
    again = wait_until(counting(starts=2), 30, "the actor restarted after its exception")
    assert again["pid"] == first["pid"] and again["bad"] == 0

    # kill -9 of the Python node: the launcher restarts it, frames flow again.
    os.kill(first["pid"], signal.SIGKILL)
    resumed = wait_until(counting(pid=first["pid"]), 60, "the node restarted after kill -9")
    assert resumed["starts"] == 1 and resumed["bad"] == 0

    # A command that never returns: the watchdog gives up on the actor; a
    # thread stuck in Python cannot be stopped, so the plugin ends the node
    # and the launcher starts it, and the actor, again.
    assert send(registry, actor, "hang") is None
    recovered = wait_until(counting(pid=resumed["pid"]), 60, "the node restarted after a hang")
    assert recovered["starts"] == 1 and recovered["bad"] == 0

    run.send_signal(signal.SIGTERM)
    children.finish(run, timeout=60)
    assert segments("dxhub.%s." % name) == []
