"""Frames between C++ and Python processes, zero copy, held arrays, crashes.

Each test runs real processes: the stock `dxhub run` camera, `dxhub write`
and `dxhub read` (C++), and Python children importing dxhub.
"""

import json
import os
import random
import signal
import subprocess
import textwrap
import time
import uuid

import numpy as np
import pytest

import dxhub
from conftest import DXHUB, PREFIX, json_line, segments, wait_until

# A Python subscriber that checks every camera frame against the "counter"
# pattern of actors/simulated_camera.cpp, and that each image lies inside the
# mapping of the frame's shared-memory segment (zero copy).
CAMERA_READER = textwrap.dedent("""
    import json, sys
    import numpy as np
    import dxhub
    channel, wanted = sys.argv[1], int(sys.argv[2])

    def mappings(segment):
        out = []
        for line in open("/proc/self/maps"):
            parts = line.split()
            if len(parts) >= 6 and parts[5].endswith("/" + segment.lstrip("/")):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                out.append((lo, hi))
        return out

    sub = dxhub.subscribe(channel, policy="reliable")
    got, bad, gaps, in_chunk, writable, last = 0, 0, 0, 0, 0, None
    while got < wanted:
        f = sub.take(timeout=30)
        if f is None:
            break
        image, stamps = f["image"], f["stamps"]
        counter = int(stamps[0])
        want = ((counter * 7 + np.arange(image.size)) & 0xFFFF).astype(np.uint16)
        want[:4] = [(counter >> (16 * i)) & 0xFFFF for i in range(4)]
        bad += 0 if np.array_equal(image.ravel(), want) else 1
        if last is not None and counter != last + 1:
            gaps += 1
        last = counter
        start = image.__array_interface__["data"][0]
        end = start + image.nbytes
        in_chunk += 1 if any(lo <= start and end <= hi for lo, hi in mappings(f.segment)) else 0
        writable += 1 if image.flags.writeable else 0
        got += 1
    print(json.dumps(dict(frames=got, bad=bad, gaps=gaps, in_chunk=in_chunk,
                          writable=writable, transport=f.transport if got else "",
                          shape=list(image.shape), dtype=str(image.dtype))))
""")


def camera_deployment(tmp_path, name, channel):
    toml = textwrap.dedent("""
        [deployment]
        name = "%s"
        grace_ms = 2000

        [[nodes]]
        name = "cams"

          [[nodes.actors]]
          type = "simulated_camera"
          name = "cam0"
          params = { width = 64, height = 48, rate_hz = 400.0, pattern = "counter" }
          publishes = ["%s"]
    """) % (name, channel)
    path = tmp_path / (name + ".toml")
    path.write_text(toml)
    return path


def test_a_python_subscriber_sees_every_camera_frame_whole_and_in_the_chunk(tmp_path, children):
    name = "pycam" + uuid.uuid4().hex[:6]
    channel = name + "/cam0/raw"
    run = children.dxhub("run", str(camera_deployment(tmp_path, name, channel)), "--duration",
                         "60", "--workdir", str(tmp_path), "--registry",
                         "ipc://" + str(tmp_path / "registry"))
    env = dict(os.environ, DXHUB_SHM_PREFIX="dxhub.%s." % name)
    env.pop("DXHUB_REGISTRY")
    reader = children.python(CAMERA_READER, channel, "300", env=env)
    rc, out, err = children.finish(reader, timeout=60)
    assert rc == 0, err
    r = json_line(out)
    assert r["frames"] == 300
    assert r["bad"] == 0
    assert r["gaps"] == 0
    assert r["in_chunk"] == 300, "every image lies inside the mapped segment"
    assert r["writable"] == 0
    assert r["transport"] == "shm"
    assert r["shape"] == [48, 64] and r["dtype"] == "uint16"
    run.send_signal(signal.SIGTERM)
    children.finish(run, timeout=30)
    assert segments("dxhub.%s." % name) == []


def raw_frame(index, size):
    """The payload `dxhub write --pattern counter` writes (apps/cli/raw_frame.hpp)."""
    payload = ((index + np.arange(size)) % 256).astype(np.uint8)
    payload[0:8] = np.frombuffer(np.uint64(index).tobytes(), np.uint8)
    payload[8:16] = 0
    return payload


def test_a_cpp_subscriber_verifies_every_byte_python_publishes(channel, children):
    size = 4096
    pub = dxhub.publish(channel, dxhub.schema(name="dxhub.raw", data=("u8", (size,))))
    reader = children.dxhub("read", channel, "--frames", "200", "--verify", "--policy",
                            "reliable", "--json", "--timeout-ms", "30000")
    index = 0
    deadline = time.monotonic() + 60
    # The reader attaches when it comes; publish until it has its frames.
    while reader.poll() is None and time.monotonic() < deadline:
        with pub.loan() as f:
            f["data"][:] = raw_frame(index, size)
        index += 1
        time.sleep(0.001)
    rc, out, err = children.finish(reader, timeout=30)
    assert rc == 0, err
    r = json_line(out)
    assert r["frames"] == 200 and r["bad_frames"] == 0 and r["gaps"] == 0
    pub.close()
    assert segments() == []


def test_zero_copy_the_subscriber_reads_the_publishers_chunk(channel):
    schema = dxhub.schema(image=("u16", (48, 64)), stamps=("f64", (4,)))
    pub = dxhub.publish(channel, schema)
    published = {}
    seen = 0
    with dxhub.subscribe(channel, schema=schema, window=4) as sub:
        # The subscriber attaches when it comes: publish until 8 frames came.
        for i in range(2000):
            with pub.loan() as f:
                f["image"][:] = i
                f["stamps"][:] = [i, 0, 0, 0]
                published[i] = f.chunk_index
            frame = sub.take(timeout=0.01)
            if frame is None:
                continue
            i = int(frame["stamps"][0])
            assert frame.chunk_index == published[i], "the publisher's chunk, not a copy"
            assert frame.transport == "shm"
            image = frame["image"]
            assert int(image[0, 0]) == i
            assert not image.flags.writeable
            assert not image.flags.owndata and image.base is frame
            with pytest.raises(ValueError):
                image[0, 0] = 1
            seen += 1
            if seen == 8:
                break
    assert seen == 8
    pub.close()


def mappings_of(segment):
    """The address ranges (lo, hi, file offset) at which /dev/shm/`segment` is
    mapped into this process, from /proc/self/maps."""
    out = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split()
            if len(parts) >= 6 and parts[5] == "/dev/shm/" + segment.lstrip("/"):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                out.append((lo, hi, int(parts[2], 16)))
    return out


def file_offset(array, segment):
    """Where `array`'s bytes lie in the segment file, if they lie wholly
    inside one mapping of it (None if not: a copy)."""
    start = array.__array_interface__["data"][0]
    end = start + array.nbytes
    for lo, hi, offset in mappings_of(segment):
        if lo <= start and end <= hi:
            return offset + (start - lo)
    return None


def test_held_arrays_never_change_while_the_publisher_runs_flat_out(channel, children):
    """Zero copy against a C++ publisher (`dxhub write`, another process,
    publishing as fast as it can), and the contract of a published frame
    (docs/python.md, "Frames from a camera"): its array's memory is the
    publisher's chunk, inside this process's mapping of the channel's
    segment; the chunk stays pinned while any array of it is alive, so the
    publisher never loans it again: no write of the C++ publisher is ever
    visible through a held array (its bytes and its chunk index are never
    seen again until it is released). Released out of order."""
    size = 4096
    writer = children.dxhub("write", channel, "--frames", "1000000000", "--size", str(size),
                            "--pattern", "counter", "--wait-subscribers", "1", "--timeout-ms",
                            "60000")
    rng = random.Random(7)
    held = []  # (array, copy, chunk index), released in random order
    checked = 0
    with dxhub.subscribe(channel, policy="latest", window=8, queue_depth=4) as sub:
        while checked < 3000:
            frame = sub.take(timeout=30)
            assert frame is not None, "frames flow"
            assert frame.transport == "shm"
            data = frame["data"]
            index = int(data[:8].view(np.uint64)[0])
            assert np.array_equal(data, raw_frame(index, size)), "a frame is whole"
            where = file_offset(data, frame.segment)
            assert where is not None, "the array lies inside the mapped segment"
            if checked < 64:
                # The publisher's chunk: the same bytes at that place of the file.
                with open("/dev/shm/" + frame.segment, "rb") as f:
                    f.seek(where)
                    assert f.read(size) == data.tobytes()
            chunk = frame.chunk_index
            assert chunk not in [c for _, _, c in held], "a held chunk was published again"
            held.append((data, data.copy(), chunk))
            del frame, data
            if len(held) > 6:
                # Release one at random: out of order, while others stay held.
                held.pop(rng.randrange(len(held)))
            for array, copy, _ in held:
                assert np.array_equal(array, copy), "a held array changed"
            checked += 1
        held.clear()
    writer.kill()
    children.finish(writer, timeout=30)


def test_a_loan_is_the_chunk_and_is_written_in_place_until_published(channel):
    """The one case where writes into a chunk are visible through an array
    the process holds (docs/python.md, "Publishing"): a loan, before it is
    published. Its arrays are the chunk itself (inside the segment's
    mapping), so a write into that chunk through another mapping of the
    segment file is visible through the loan's array, and a write through
    the array is visible in the file; once published the arrays are
    read-only and a subscriber reads those very bytes from the same chunk."""
    import mmap
    schema = dxhub.schema(name="lab.loan", data=("u8", (4096,)))
    pub = dxhub.publish(channel, schema)
    with dxhub.subscribe(channel, schema=schema, window=2) as sub:
        frame = None
        for _ in range(200):
            pub.publish_copy(data=np.zeros(4096, np.uint8))
            frame = sub.take(timeout=0.05)
            if frame is not None:
                break
        assert frame is not None, "the subscriber attached"
        segment = frame.segment
        del frame
        loan = pub.loan()
        array = loan["data"]
        assert array.flags.writeable
        where = file_offset(array, segment)
        assert where is not None, "the loan's array lies inside the mapped segment"
        fd = os.open("/dev/shm/" + segment, os.O_RDWR)
        try:
            other = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        try:
            array[:] = 7
            assert other[where:where + 4096] == bytes([7]) * 4096, "the array is the chunk"
            other[where:where + 4] = bytes([1, 2, 3, 4])
            assert list(array[:5]) == [1, 2, 3, 4, 7], "a write into the chunk shows in the loan"
            chunk = loan.chunk_index
            loan.publish()
            assert not array.flags.writeable, "a published frame is immutable"
            with pytest.raises(ValueError):
                array[0] = 9
            got = sub.take(timeout=5)
            while got is not None and got.chunk_index != chunk:
                got = sub.take(timeout=5)
            assert got is not None and got.chunk_index == chunk
            assert list(got["data"][:5]) == [1, 2, 3, 4, 7]
            assert file_offset(got["data"], segment) == where
            del got, array, loan
        finally:
            other.close()
    pub.close()


def test_a_schema_is_taken_from_an_existing_channel(channel, children):
    """`dxhub.schema_of` reads a channel's whole schema from its segment: a
    C++ publisher's (`dxhub write`), reused to subscribe with `schema=` and to
    publish a channel of the same frames."""
    writer = children.dxhub("write", channel, "--frames", "1000000000", "--size", "4096",
                            "--pattern", "counter", "--delay-ms", "1", "--timeout-ms", "60000")

    def written():
        try:
            return dxhub.schema_of(channel)
        except dxhub.errors.UnknownChannel:
            return None

    schema = wait_until(written, 20, "dxhub write's channel")
    assert schema.fields == {"data": ("u8", (4096,))}
    assert schema.payload_size == 4096
    copy = channel.replace("/raw", "/copy")
    pub = dxhub.publish(copy, schema)
    assert dxhub.schema_of(copy).id == schema.id
    with dxhub.subscribe(channel, schema=schema) as sub:
        frame = sub.take(timeout=30)
        assert frame is not None and frame.schema.id == schema.id
        pub.publish_copy(data=frame["data"])
        del frame
    pub.close()
    with pytest.raises(dxhub.errors.UnknownChannel) as caught:
        dxhub.schema_of("py/nobody/raw")
    assert "py/nobody/raw" in str(caught.value)
    with pytest.raises(dxhub.errors.InvalidName):
        dxhub.schema_of("../etc/passwd")
    writer.kill()
    children.finish(writer, timeout=30)


KILLED_READER = textwrap.dedent("""
    import sys, time
    import dxhub
    sub = dxhub.subscribe(sys.argv[1], policy="latest", window=8, queue_depth=4)
    held = []
    while len(held) < 8:
        f = sub.take(timeout=30)
        if f is not None:
            held.append(f["data"])
    print("holding", len(held), flush=True)
    time.sleep(120)
""")


def chunks_in_use(channel):
    import json
    import subprocess
    out = subprocess.run([DXHUB, "inspect", channel, "--json"], capture_output=True, text=True,
                         timeout=30)
    return json.loads(out.stdout), out


def test_a_killed_subscriber_holding_arrays_gets_its_chunks_reclaimed(channel, children):
    size = 4096
    writer = children.dxhub("write", channel, "--frames", "100000000", "--size", str(size),
                            "--pattern", "counter", "--wait-subscribers", "1", "--delay-ms",
                            "1", "--chunks", "16", "--timeout-ms", "60000")
    reader = children.python(KILLED_READER, channel)
    line = reader.stdout.readline()
    assert line.startswith("holding 8"), line + reader.stderr.read()
    os.killpg(reader.pid, signal.SIGKILL)
    reader.wait(timeout=10)

    dead = reader.pid

    def reclaimed():
        info, _ = chunks_in_use(channel)
        rows = info.get("subscribers", [])
        return info and all(s["pid"] != dead for s in rows)

    wait_until(reclaimed, 10, "the dead subscriber's chunks are reclaimed")
    # The pool is whole: a new reader takes frames and can hold as many.
    code = KILLED_READER.replace("time.sleep(120)", "")
    again = children.python(code, channel)
    rc, out, err = children.finish(again, timeout=60)
    assert rc == 0 and "holding 8" in out, err
    writer.kill()
    children.finish(writer, timeout=30)


def test_a_subscriber_expecting_another_schema_is_refused_naming_both(channel):
    pub = dxhub.publish(channel, dxhub.schema(name="lab.image", image=("u16", (8, 8))))
    other = dxhub.schema(name="lab.spectrum", counts=("f32", (1024,)))
    with dxhub.subscribe(channel, schema=other) as sub:
        with pytest.raises(dxhub.errors.SchemaMismatch) as caught:
            for _ in range(100):
                sub.take(timeout=0.2)
                pub.publish_copy(image=np.zeros((8, 8), np.uint16))
        assert "lab.image" in str(caught.value) and "lab.spectrum" in str(caught.value)
    pub.close()


def test_publishing_refuses_a_wrong_dtype_or_shape(channel):
    pub = dxhub.publish(channel, dxhub.schema(image=("u16", (4, 4)), stamps=("f64", 2)))
    with pytest.raises(dxhub.errors.InvalidArgument) as caught:
        pub.publish_copy(image=np.zeros((4, 4), np.float32), stamps=np.zeros(2))
    assert "u16" in str(caught.value) and "float32" in str(caught.value)
    with pytest.raises(dxhub.errors.InvalidArgument):
        pub.publish_copy(image=np.zeros((4, 5), np.uint16), stamps=np.zeros(2))
    with pytest.raises(dxhub.errors.InvalidArgument):
        pub.publish_copy(b"too short")
    with pytest.raises(dxhub.errors.InvalidArgument):
        with pub.loan() as f:
            f["nosuch"]
    assert isinstance(pub.publish_copy(image=np.ones((4, 4), np.uint16), stamps=np.ones(2)), int)
    pub.close()


def test_an_unknown_channel_waits_and_a_bad_name_is_refused():
    with dxhub.subscribe("py/nobody/here") as sub:
        assert sub.take(timeout=0.3) is None
    with pytest.raises(dxhub.errors.InvalidName):
        dxhub.subscribe("../etc/passwd")
    with pytest.raises(dxhub.errors.InvalidArgument):
        dxhub.subscribe("py/x/raw", policy="sometimes")


def test_a_polling_latest_reader_of_one_takes_the_newest_and_is_never_woken(channel):
    # latest, a queue of one and a poll period: over shared memory a reader
    # without a queue (policy newest), which the publisher never visits.
    schema = dxhub.schema(image=("u16", (48, 64)))
    pub = dxhub.publish(channel, schema)
    with dxhub.subscribe(channel, schema=schema, queue_depth=1, window=1,
                         poll_period=0.005) as sub:
        frame = None
        for i in range(2000):
            with pub.loan() as f:
                f["image"][:] = i
            frame = sub.take(timeout=0.01)
            if frame is not None:
                break
        assert frame is not None
        assert int(frame["image"][0, 0]) == frame.sequence
        del frame
        out = subprocess.run([DXHUB, "inspect", channel, "--json"], capture_output=True,
                             text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        info = json.loads(out.stdout)
        (row,) = info["subscribers"]
        assert row["policy"] == "newest"
        assert row["never_sleeps"] and row["wakeups"] == 0
        assert row["queued"] == 0
    with pytest.raises(Exception, match="poll_period"):
        dxhub.subscribe(channel, schema=schema, poll_period=2.0)
    pub.close()
