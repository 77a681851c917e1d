#!/usr/bin/env python3
"""A dxhub client written from docs/protocol.md alone (pyzmq, JSON payloads).

Usage: python_client.py ENDPOINT
Sends commands to the "lab/doubler" service and checks the replies; exits 0
when every check holds, 1 otherwise, and never waits longer than 5 s for a reply.
"""
import json
import struct
import sys
import time

import zmq

MAGIC = b"DXHB"
VERSION = 1
KIND_REQUEST, KIND_REPLY, KIND_ERROR = 0, 1, 2
ENCODING_JSON = 1
HEADER = struct.Struct("<4sBBBBQqQIIHH")  # 44 bytes, section 3

COMMAND = ("dxhub.command", 2, 0x7F08958D5DB70BED)  # section 5
REPLY_NAME = "dxhub.reply"


def header(kind, correlation, payload_size, schema=None):
    name, version, schema_hash = schema if schema else ("", 0, 0)
    raw_name = name.encode("ascii")
    return HEADER.pack(MAGIC, VERSION, kind, ENCODING_JSON, 0, correlation,
                       time.time_ns(), schema_hash, version, payload_size,
                       len(raw_name), 0) + raw_name


def parse_header(frame):
    if len(frame) < HEADER.size:
        raise ValueError("short header")
    (magic, version, kind, encoding, flags, correlation, _ts, schema_hash,
     schema_version, payload_size, name_length, _reserved) = HEADER.unpack_from(frame)
    if magic != MAGIC or version != VERSION or flags != 0:
        raise ValueError("not a dxhub v1 header")
    name = frame[HEADER.size:HEADER.size + name_length].decode("ascii")
    return dict(kind=kind, encoding=encoding, correlation=correlation,
                schema=(name, schema_version, schema_hash), payload_size=payload_size)


def request(socket, correlation, command, schema=None):
    payload = json.dumps(command).encode("utf-8")
    socket.send_multipart([header(KIND_REQUEST, correlation, len(payload), schema), payload])
    if not socket.poll(5000):
        raise TimeoutError("no reply within 5 s")
    frames = socket.recv_multipart()
    if len(frames) != 2:
        raise ValueError("reply has %d frames" % len(frames))
    head = parse_header(frames[0])
    if head["payload_size"] != len(frames[1]):
        raise ValueError("payload size mismatch")
    if head["correlation"] != correlation:
        raise ValueError("reply to %d, expected %d" % (head["correlation"], correlation))
    if head["schema"][0] != REPLY_NAME or head["encoding"] != ENCODING_JSON:
        raise ValueError("unexpected reply schema %r" % (head["schema"],))
    return head["kind"], json.loads(frames[1])


def main():
    endpoint = sys.argv[1]
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    failures = []

    def check(what, condition):
        print(("ok   " if condition else "FAIL ") + what, flush=True)
        if not condition:
            failures.append(what)

    # A typed request: the header names dxhub.command.
    kind, body = request(socket, 7, {"id": 7, "caller": "python", "service": "lab/doubler",
                                     "name": "double", "args": {"n": 21}}, COMMAND)
    check("typed request answered with a reply", kind == KIND_REPLY)
    check("reply carries the result", body.get("code") == "none" and body.get("id") == 7
          and body.get("result") == {"n": 42, "tag": "python"})

    # An untyped request: no schema in the header, fields checked one by one.
    kind, body = request(socket, 8, {"id": 8, "caller": "python", "name": "double",
                                     "args": {"n": -4}})
    check("untyped request answered", kind == KIND_REPLY and body.get("result", {}).get("n") == -8)

    # An unknown command: an error reply naming the error.
    kind, body = request(socket, 9, {"id": 9, "caller": "python", "name": "triple"}, COMMAND)
    check("unknown command gives an error reply", kind == KIND_ERROR
          and body.get("code") == "unknown_command")

    socket.close()
    context.term()
    print("%d passed, %d failed" % (4 - len(failures), len(failures)), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
