"""The simulated clock every order's progress is computed from.

``now = anchor_sim + (wall - anchor_wall) * speed``. Changing the speed re-anchors, so
simulated time never jumps; ``advance`` moves the anchor forward. The anchor is persisted,
so after a restart the upstream's orders have kept progressing while it was down.
"""

from __future__ import annotations

import threading
import time
from typing import Any


class SimClock:
    def __init__(self, anchor_sim: float, anchor_wall: float, speed: float) -> None:
        self._lock = threading.Lock()
        self.anchor_sim = anchor_sim
        self.anchor_wall = anchor_wall
        self.speed = speed

    @classmethod
    def starting_now(cls, speed: float = 1.0) -> SimClock:
        wall = time.time()
        return cls(wall, wall, speed)

    def now(self) -> float:
        with self._lock:
            return self.anchor_sim + (time.time() - self.anchor_wall) * self.speed

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        now = self.now()
        with self._lock:
            self.anchor_sim, self.anchor_wall, self.speed = now, time.time(), speed

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("simulated time only moves forward")
        with self._lock:
            self.anchor_sim += seconds

    def reset(self) -> None:
        """Back to wall-clock time (the offset from ``advance`` is dropped), same speed."""
        with self._lock:
            self.anchor_sim = self.anchor_wall = time.time()

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "anchor_sim": self.anchor_sim,
                "anchor_wall": self.anchor_wall,
                "speed": self.speed,
            }
