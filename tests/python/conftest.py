"""Shared set-up of the Python suites: a private shared-memory prefix, a
standalone registry, child processes that are always reaped, and a check
that no segment of the prefix is left behind.

Every multi-process test is bounded (timeouts on every wait) and cleans up
in fixtures, so a failing test leaves no process and no /dev/shm entry.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

BUILD = os.environ.get("DXHUB_TEST_BINARY_DIR", "build")
DXHUB = os.path.join(BUILD, "apps", "dxhub")
PYTHON = sys.executable

# Before dxhub is first used: the node reads both when it starts.
PREFIX = "dxpy%d%s." % (os.getpid(), uuid.uuid4().hex[:6])
os.environ["DXHUB_SHM_PREFIX"] = PREFIX
_dir = tempfile.mkdtemp(prefix="dxhub-py-")
REGISTRY = "ipc://" + os.path.join(_dir, "registry")
os.environ["DXHUB_REGISTRY"] = REGISTRY
# Every node's ipc sockets (this process's and the children's) go there too:
# a child killed with -9 cannot remove its own, the session's end removes all.
os.environ["XDG_RUNTIME_DIR"] = _dir


def segments(prefix=PREFIX):
    """The /dev/shm entries of `prefix`."""
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(prefix))


def remove_segments(prefix=PREFIX):
    for n in segments(prefix):
        try:
            os.unlink(os.path.join("/dev/shm", n))
        except FileNotFoundError:
            pass


def wait_until(predicate, timeout, what, step=0.02):
    """Polls `predicate` until it is true; fails naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail("not within %.1f s: %s" % (timeout, what))
        time.sleep(step)


class Children:
    """Child processes of one test, killed and reaped at its end."""

    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        p = subprocess.Popen(args, start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def python(self, code, *args, **kw):
        """A Python child running `code` (it imports dxhub like any script)."""
        return self.start([PYTHON, "-c", code] + list(args), **kw)

    def dxhub(self, *args, **kw):
        return self.start([DXHUB] + list(args), **kw)

    @staticmethod
    def finish(p, timeout=60):
        """Waits for `p` (killing it after `timeout` s); returns (rc, out, err)."""
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            pytest.fail("child %s did not end within %d s:\n%s\n%s" % (p.args, timeout, out, err))
        return p.returncode, out, err

    def reap(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                p.communicate(timeout=10)
            except Exception:
                pass


@pytest.fixture
def children():
    c = Children()
    yield c
    c.reap()


@pytest.fixture(scope="session", autouse=True)
def registry():
    """A standalone registry for the session (Python services register there)."""
    p = subprocess.Popen([DXHUB, "registry", "--endpoint", REGISTRY], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    socket = REGISTRY[len("ipc://"):]
    deadline = time.monotonic() + 20
    while not os.path.exists(socket):
        if p.poll() is not None or time.monotonic() > deadline:
            p.kill()
            pytest.fail("dxhub registry did not start: %s" % (p.stderr.read(),))
        time.sleep(0.02)
    yield REGISTRY
    import dxhub
    dxhub.shutdown()
    os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    remove_segments()
    shutil.rmtree(_dir, ignore_errors=True)  # the registry's ipc sockets


def segment_of(channel, prefix=PREFIX):
    """The /dev/shm name of `channel` (transports/shm/segment_name.hpp)."""
    return prefix + channel.replace("/", ".")


@pytest.fixture
def channel():
    """A fresh channel name for one test; its segments go at the end (a
    killed `dxhub write` cannot remove its own)."""
    name = "py/t%s/raw" % uuid.uuid4().hex[:8]
    yield name
    for n in segments(segment_of(name)):
        try:
            os.unlink(os.path.join("/dev/shm", n))
        except FileNotFoundError:
            pass


def json_line(text):
    """The last JSON object line of a child's output."""
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise AssertionError("no JSON line in output:\n" + text)
