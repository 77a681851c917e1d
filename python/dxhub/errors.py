"""The exceptions of dxhub, one class per code of the error vocabulary.

Every class derives from :class:`Error` and is named after its code in
CamelCase (``peer_down`` -> ``PeerDown``). ``Timeout`` is also a
``TimeoutError``, ``InvalidArgument`` also a ``ValueError``. Each exception has
``code`` (the snake_case name, as on the wire) and ``context`` (what went
wrong, e.g. both schemas of a mismatch); ``str(e)`` is the message a C++
caller gets.
"""

from . import _dxhub


class Error(Exception):
    """A dxhub error: ``code`` is its name in the vocabulary, ``context`` the details."""

    code = "service_error"
    context = ""


_by_code = {}
_builtin = {"timeout": TimeoutError, "invalid_argument": ValueError}

for _code, _name, _message in _dxhub._error_names():
    _bases = (Error,) + ((_builtin[_code],) if _code in _builtin else ())
    _cls = type(_name, _bases, {"__doc__": _message + ".", "code": _code})
    _cls.__module__ = __name__
    globals()[_name] = _cls
    _by_code[_code] = _cls


def class_of(code):
    """The exception class of error code ``code`` (a snake_case name)."""
    return _by_code.get(code, Error)


def error(code, context=""):
    """An exception of code ``code`` to raise from a service handler: the
    caller gets this code and context, e.g. ``raise dxhub.errors.error(
    "invalid_argument", "position out of range")``."""
    cls = class_of(code)
    e = cls(context)
    e.code = code
    e.context = context
    return e


__all__ = ["Error", "class_of", "error"] + [n for _, n, _ in _dxhub._error_names()]
