"""dxhub for Python: frames as zero-copy numpy arrays, services and events.

A Python process that imports dxhub embeds one dxhub node (the same node a
C++ process has: registry client, shared memory, ZeroMQ), started at its
first use and stopped at interpreter exit.

    import dxhub
    sub = dxhub.subscribe("lab/cam0/raw", policy="latest")
    frame = sub.take(timeout=1.0)          # None when no frame came in time
    image = frame["image"]                 # read-only numpy view of the chunk
    dxhub.call("cam0", "set_exposure", ms=5)

See docs/python.md for the tutorial and the API reference.
"""

import asyncio as _asyncio
import atexit as _atexit

from . import _dxhub
from . import errors
from ._dxhub import (Frame, Loan, Publisher, Schema, Service, Subscription, Watch, call,
                     emit, init, node_name, schema, schema_of)
from .errors import Error

__all__ = ["subscribe", "publish", "schema", "schema_of", "call", "serve", "serve_forever",
           "emit", "watch", "init", "node_name", "shutdown", "errors", "Error", "Frame", "Loan",
           "Publisher", "Schema", "Service", "Subscription", "Watch"]

# Services run until closed or the process ends, whether or not the caller
# keeps the object.
_services = []


def subscribe(channel, policy="latest", *, schema=None, queue_depth=8, window=4,
              group="default", busy_poll=False, reliable_timeout=1.0, poll_period=0.0):
    """Subscribes to the frames of ``channel``.

    ``policy``: "latest" (a slow reader loses the oldest frames), "reliable"
    (the publisher waits up to ``reliable_timeout`` seconds) or "work"
    (members of ``group`` share the stream). ``schema``: the schema expected;
    a channel of another schema is refused (``take`` raises
    ``errors.SchemaMismatch`` naming both). ``window``: frames the process may
    hold at once (taken and not yet released) before the subscription waits;
    hold more arrays at once and raise it (chunks of the publisher's pool:
    window + queue_depth must stay below its chunk count). ``poll_period``
    (seconds, up to 1): over shared memory, look for a frame this often
    instead of being woken by the publisher at every frame, which then wakes
    nobody; with "latest" and ``queue_depth=1`` such a reader has no queue
    at all and takes the newest frame at each look (a display's way: the
    publisher does nothing for it). The publisher may start later.
    """
    return _dxhub._subscribe(channel, policy, queue_depth, window, group, busy_poll, schema,
                             reliable_timeout, poll_period)


def publish(channel, schema, *, chunks=16, max_subscribers=64, keep=False):
    """Opens ``channel`` for frames of ``schema`` (see :func:`schema`). The
    channel's segment is removed when the publisher is closed, collected or
    the process exits (subscribers keep reading what they hold); ``keep=True``
    leaves it for a publisher that comes back (subscribers then continue)."""
    return _dxhub._publish(channel, schema, chunks, max_subscribers, keep)


def serve(name, commands):
    """Serves ``commands`` ({name: function}) as service ``name``: each
    function is called with the command's arguments as keyword arguments and
    returns a JSON-able value. An exception reaches the caller as its error
    (a dxhub.errors class keeps its code; others are ServiceError with the
    exception's type and text); the service keeps serving."""
    s = _dxhub._serve(name, dict(commands))
    _services.append(s)
    return s


def serve_forever():
    """Sleeps until Ctrl-C or a signal ends the process (services keep serving)."""
    import time
    while True:
        time.sleep(3600)


def watch(prefix=""):
    """The events whose topic has path prefix ``prefix`` ("" for all)."""
    return _dxhub._watch(prefix)


def shutdown():
    """Closes everything and stops this process's node (also run at exit)."""
    _services.clear()
    _dxhub._shutdown()


def _iter_subscription(self):
    while True:
        try:
            frame = self.take(None)
        except errors.InvalidArgument:
            return  # closed
        if frame is not None:
            yield frame


def _iter_watch(self):
    while True:
        try:
            ev = self.next(None)
        except errors.InvalidArgument:
            return
        if ev is not None:
            yield ev


async def _take_async(self, timeout=None):
    """``await sub.take_async(timeout)``: take() on an executor thread (the
    GIL is let go while it waits, so the event loop runs on)."""
    return await _asyncio.get_running_loop().run_in_executor(None, self.take, timeout)


async def _next_async(self, timeout=None):
    return await _asyncio.get_running_loop().run_in_executor(None, self.next, timeout)


def _enter(self):
    return self


def _exit(self, *exc):
    self.close()
    return False


Subscription.__iter__ = _iter_subscription
Subscription.take_async = _take_async
Watch.__iter__ = _iter_watch
Watch.next_async = _next_async
for _cls in (Subscription, Publisher, Service, Watch):
    _cls.__enter__ = _enter
    _cls.__exit__ = _exit

_atexit.register(shutdown)
