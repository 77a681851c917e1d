"""Python actors run by test_actors.py inside a `dxhub run` deployment."""

import os
import time

import numpy as np

import dxhub

STARTS = [0]  # module state outlives an actor: counts its (re)starts


class FrameCounter:
    """Counts the camera's frames and checks each one's counter pattern."""

    commands = ["count", "crash", "hang"]

    def on_start(self):
        STARTS[0] += 1
        self.frames = 0
        self.bad = 0
        dxhub.emit(self.name + "/state", "started", {"starts": STARTS[0]})

    def on_frame(self, frame):
        image = frame["image"]
        counter = int(frame["stamps"][0])
        want = ((counter * 7 + np.arange(image.size)) & 0xFFFF).astype(np.uint16)
        want[:4] = [(counter >> (16 * i)) & 0xFFFF for i in range(4)]
        self.bad += 0 if np.array_equal(image.ravel(), want) else 1
        self.frames += 1

    def count(self):
        return {"frames": self.frames, "bad": self.bad, "starts": STARTS[0], "pid": os.getpid()}

    def crash(self):
        raise RuntimeError("asked to crash")

    def hang(self):
        time.sleep(3600)  # stuck in Python: only a new process recovers
