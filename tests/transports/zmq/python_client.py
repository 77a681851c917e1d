#!/usr/bin/env python3
"""A dxhub client written from docs/protocol.md alone: Python 3 and pyzmq.

Usage: python_client.py DXHUB DXHUB_NODE

Starts a registry (`DXHUB registry`) and a node (`DXHUB_NODE`) serving the
simulated ADC "adc0", then, as any client would: looks the service up in the
registry, sends it commands (JSON and binary), checks an error reply by name
and number, and receives the node's events from the relay as JSON. Every
constant cites the section of docs/protocol.md it comes from; the example of
section 11 is this file's code (the style test protocol_doc checks it).

Bounded: every wait has a deadline, and the processes are started with a
duration so that they end even if this script is killed. Self-cleaning: the
processes are stopped and the scratch directory removed in any case. Prints
one line per check and "N passed, M failed"; exits 0 only when all passed.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

# -- section 11, the example: the protocol's constants and a small client -----

import json
import struct
import time

import zmq

HEADER = struct.Struct("<4sBBBBQqQIIHH")  # section 3: the 44 fixed bytes, little-endian
MAGIC, VERSION = b"DXHB", 1  # section 3: bytes 0-3 and byte 4
REQUEST, REPLY, ERROR, EVENT = 0, 1, 2, 3  # section 3: message kinds (byte 5)
BINARY, JSON = 0, 1  # section 3: encodings (byte 6); sections 4.1, 4.2
COMMAND = ("dxhub.command", 2, 0x7F08958D5DB70BED)  # section 5: name, version, hash
REPLY_SCHEMA = "dxhub.reply"  # section 5
EVENT_SCHEMA = "dxhub.event"  # section 5
REGISTRY = "dxhub/registry"  # section 5.1: the registry's service
EVENTS = "dxhub/events"  # section 5.4: the event relay's service
JSON_TOPICS = "json:"  # section 5.4: subscriptions that ask for JSON
ERRORS = {"none": 0, "unknown_service": 9, "unknown_command": 10}  # section 7.1


def header(kind, correlation, payload_size, encoding=JSON, schema=("", 0, 0)):
    """A header frame (section 3); JSON may leave the schema out (section 4.1)."""
    name, version, schema_hash = schema
    return HEADER.pack(MAGIC, VERSION, kind, encoding, 0, correlation, time.time_ns(),
                       schema_hash, version, payload_size, len(name), 0) + name.encode()


def parse_header(frame):
    """The fields of a header frame (section 3) that a client needs."""
    (magic, version, kind, encoding, _flags, correlation, _ns, _hash, _version,
     payload_size, name_length, _reserved) = HEADER.unpack_from(frame)
    assert magic == MAGIC and version == VERSION, "not a dxhub v1 header"
    assert len(frame) == HEADER.size + name_length
    return {"kind": kind, "encoding": encoding, "correlation": correlation,
            "payload_size": payload_size, "schema": frame[HEADER.size:].decode()}


class Client:
    """Commands over a DEALER socket (section 2), one at a time."""

    def __init__(self, context, endpoint):
        self.socket = context.socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)
        self.next_id = 1

    def send(self, payload, encoding=JSON, schema=("", 0, 0), timeout_ms=10000):
        """Sends [header][payload]; the reply's header and payload (section 2)."""
        correlation = self.next_id  # section 3: echoed in the reply
        self.next_id += 1
        self.socket.send_multipart(
            [header(REQUEST, correlation, len(payload), encoding, schema), payload])
        if not self.socket.poll(timeout_ms):  # section 6: always wait with a timeout
            raise TimeoutError("no reply within %d ms" % timeout_ms)
        head, body = self.socket.recv_multipart()  # section 2: two frames
        head = parse_header(head)
        assert head["correlation"] == correlation and head["payload_size"] == len(body)
        assert head["schema"] == REPLY_SCHEMA  # section 5
        return head, body

    def call(self, service, name, args, timeout_ms=10000):
        """A JSON command (section 5): the reply's kind and its dxhub.reply object."""
        command = {"id": self.next_id, "caller": "py:example", "service": service,
                   "name": name, "args": args, "timeout_ms": timeout_ms}
        head, body = self.send(json.dumps(command).encode(), timeout_ms=timeout_ms + 1000)
        return head["kind"], json.loads(body)


def lookup(registry, name, timeout_s=20):
    """The registry record of `name` (section 5.1), waiting while it is unknown."""
    deadline = time.monotonic() + timeout_s
    while True:
        kind, reply = registry.call(REGISTRY, "lookup", {"name": name})
        if reply["code"] == "none":
            return reply["result"]
        assert reply["code"] == "unknown_service", reply  # section 5.1
        if time.monotonic() > deadline:
            raise TimeoutError("no '%s' in the registry" % name)
        time.sleep(0.1)  # bounded poll: the node registers when it is up


def json_events(context, registry, prefix):
    """A SUB socket getting the events under `prefix` as JSON (section 5.4)."""
    kind, reply = registry.call(EVENTS, "endpoint", {})
    events = context.socket(zmq.SUB)
    events.setsockopt(zmq.LINGER, 0)
    events.connect(reply["result"]["endpoint"])
    events.setsockopt_string(zmq.SUBSCRIBE, JSON_TOPICS + prefix)
    return events


def next_event(events, timeout_ms=10000):
    """The next event: its topic frame and its dxhub.event object (section 5.4)."""
    if not events.poll(timeout_ms):
        raise TimeoutError("no event within %d ms" % timeout_ms)
    topic, head, body = events.recv_multipart()  # section 2: three frames
    head = parse_header(head)
    assert head["kind"] == EVENT and head["encoding"] == JSON  # section 3
    assert head["schema"] == EVENT_SCHEMA  # section 5
    return topic.decode(), json.loads(body)


def binary_string(text):
    """A string or json field in binary: u64 byte count, then the bytes (section 4.2)."""
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def binary_command(id_, service, name, args):
    """A dxhub.command in cereal portable binary (sections 4.2 and 5)."""
    no_schema = binary_string("") + struct.pack("<IQ", 0, 0)  # name, version, hash
    return (b"\x01" + struct.pack("<Q", id_) + binary_string("py:binary")
            + binary_string(service) + binary_string(name) + binary_string(json.dumps(args))
            + no_schema + struct.pack("<qq", 0, time.time_ns())  # args_schema, timeout_ms, sent
            + no_schema + struct.pack("<Q", 0))  # packed_args: no schema, no bytes


def parse_binary_reply(body):
    """A dxhub.reply in cereal portable binary (sections 4.2 and 5)."""
    assert body[0] == 1  # little-endian archive
    at = 1
    (id_, code) = struct.unpack_from("<QB", body, at)
    at += 9

    def string():
        nonlocal at
        (size,) = struct.unpack_from("<Q", body, at)
        at += 8 + size
        return body[at - size:at].decode()
    context, result = string(), string()
    (service_ns,) = struct.unpack_from("<q", body, at)
    at += 8
    packed_schema = string()
    at += 4 + 8  # the packed schema's version and hash
    packed_bytes = string()
    assert at == len(body), "trailing bytes"  # section 4.2
    return {"id": id_, "code": code, "error_context": context, "result": result,
            "packed_schema": packed_schema, "packed_bytes": packed_bytes}

# -- section 11, end of the example's definitions --------------------------------


# The deployment of section 11.
DEPLOYMENT = """
[deployment]
name = "protocol-demo"

[[nodes]]
name = "lab"

  [[nodes.actors]]
  type = "simulated_adc"
  name = "adc0"
  params = { channels = 2, block = 64, sample_rate_hz = 1000.0, stats_period_ms = 200 }
"""

failures = []
passed = 0


def check(what, condition, detail=None):
    global passed
    print(("ok   " if condition else "FAIL ") + what + ("" if condition or detail is None
                                                     else ": %r" % (detail,)), flush=True)
    if condition:
        passed += 1
    else:
        failures.append(what)


def the_client(registry_endpoint):
    """What section 11 shows, with each of its results checked."""
    context = zmq.Context()
    registry = Client(context, registry_endpoint)
    kind, reply = registry.call(EVENTS, "endpoint", {})
    check("the relay says where it publishes: beside the registry (section 5.3)",
          kind == REPLY and reply["result"] == {"endpoint": registry_endpoint + ".events"},
          (kind, reply))
    kind, reply = registry.call(EVENTS, "subscribe", {})
    check("the relay refuses a command it does not have with an error reply",
          kind == ERROR and reply["code"] == "unknown_command", (kind, reply))
    events = json_events(context, registry, "adc0/")

    record = lookup(registry, "adc0")
    check("lookup finds the service record", record["kind"] == "service"
          and record["name"] == "adc0" and record["node"] == "lab", record)
    check("the record names the command and frames endpoints (section 5.3)",
          len(record["endpoints"]) == 2 and record["endpoints"][0].startswith("ipc://")
          and record["endpoints"][1] == record["endpoints"][0] + ".frames", record)
    check("the record lists the service's commands", "set_rate" in
          record["properties"]["commands"] and "owner_key" not in record["properties"], record)
    kind, reply = registry.call(REGISTRY, "list", {"name": "adc0"})
    listed = {(r["kind"], r["name"]): r for r in reply["result"]["records"]}
    check("list by prefix gives the service and its channel, on the same endpoints",
          set(listed) == {("service", "adc0"), ("channel", "adc0/raw")}
          and listed[("channel", "adc0/raw")]["endpoints"] == record["endpoints"], listed)
    adc = Client(context, record["endpoints"][0])

    kind, reply = adc.call("adc0", "set_rate", {"hz": 500.0})
    check("a command is answered with a reply and its result", kind == REPLY
          and reply["code"] == "none" and reply["result"] == {"hz": 500.0}, (kind, reply))

    kind, reply = adc.call("adc0", "triple", {})
    check("an unknown command: a reply whose code names the error (section 6)",
          kind == REPLY and reply["code"] == "unknown_command"
          and "set_rate" in reply["error_context"], (kind, reply))

    kind, reply = adc.call("lab/missing", "get_state", {})
    check("a service the node does not have: an error reply (section 6)",
          kind == ERROR and reply["code"] == "unknown_service", (kind, reply))

    kind, reply = adc.call("adc0", "set_rate", {"hertz": 5})
    check("an unknown argument is refused by name (section 4.1)",
          reply["code"] == "invalid_argument" and "hertz" in reply["error_context"],
          (kind, reply))

    # The same error in binary: the code is its number (section 7.1).
    head, body = adc.send(binary_command(adc.next_id, "adc0", "triple", {}), BINARY, COMMAND)
    reply = parse_binary_reply(body)
    check("in binary the code of unknown_command is its number 10",
          head["kind"] == REPLY and head["encoding"] == BINARY
          and reply["code"] == ERRORS["unknown_command"] and reply["id"] == adc.next_id - 1,
          (head, reply))
    head, body = adc.send(binary_command(adc.next_id, "lab/missing", "x", {}), BINARY, COMMAND)
    reply = parse_binary_reply(body)
    check("in binary the code of unknown_service is its number 9",
          head["kind"] == ERROR and reply["code"] == ERRORS["unknown_service"], (head, reply))

    # The state event that set_rate caused, relayed as JSON.
    deadline = time.monotonic() + 20
    seen = []
    while time.monotonic() < deadline:
        topic, event = next_event(events)
        seen.append(topic)
        if topic == "json:adc0/state" and event["data"].get("why") == "set_rate":
            break
    else:
        event = None
    check("the relay sends the node's events as JSON under json:adc0/", event is not None
          and event["topic"] == "adc0/state" and event["kind"] == "state"
          and event["data"]["sample_rate_hz"] == 500.0 and event["source"].startswith("lab/"),
          (seen, event))
    check("only topics under the JSON prefix arrive",
          all(t.startswith("json:adc0/") for t in seen), seen)

    for socket in (registry.socket, adc.socket, events):
        socket.close()
    context.term()


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main():
    dxhub, dxhub_node = sys.argv[1], sys.argv[2]
    scratch = tempfile.mkdtemp(prefix="dxhub-pyclient-")
    # Segments of this run's own (parallel runs never share one), removed at the end.
    shm_prefix = "dxhub-pyclient.%d." % os.getpid()
    env = dict(os.environ, DXHUB_RUNTIME_DIR=scratch, DXHUB_SHM_PREFIX=shm_prefix)
    registry_endpoint = "ipc://" + scratch + "/registry"
    deployment = os.path.join(scratch, "lab.toml")
    with open(deployment, "w") as out:
        out.write(DEPLOYMENT)
    processes = []
    try:
        log = open(os.path.join(scratch, "processes.log"), "w")
        # The commands of section 11; --duration: they end even if this script is killed.
        processes.append(subprocess.Popen(
            [dxhub, "registry", "--endpoint", registry_endpoint, "--duration", "120"],
            env=env, stdout=log, stderr=subprocess.STDOUT))
        processes.append(subprocess.Popen(
            [dxhub_node, "--deployment", deployment, "--node", "lab", "--registry",
             registry_endpoint, "--duration-s", "120"],
            env=env, stdout=log, stderr=subprocess.STDOUT))
        try:
            the_client(registry_endpoint)
        except Exception as e:  # a timeout or a broken assumption: one failure, reported
            check("the client ran to its end", False, repr(e))
    finally:
        for process in reversed(processes):
            stop(process)
        with open(os.path.join(scratch, "processes.log")) as text:
            print("-- registry and node said:\n" + text.read(), flush=True)
        shutil.rmtree(scratch, ignore_errors=True)
        for name in os.listdir("/dev/shm"):
            if name.startswith(shm_prefix):
                os.unlink(os.path.join("/dev/shm", name))
    print("%d passed, %d failed" % (passed, len(failures)), flush=True)
    return 1 if failures or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
