"""Failure decisions. With a seed, each decision is a function of (seed, kind, key, n-th time this
key is asked about this kind): the same requests get the same failures however concurrently they
arrive. Without a seed, decisions come from the system's random source."""

from __future__ import annotations

import hashlib
import random
from collections import Counter


class Faults:
    def __init__(self, seed: int | None) -> None:
        self.seed = seed
        self._asked: Counter[tuple[str, str]] = Counter()
        self._random = random.SystemRandom()
        self.injected: Counter[str] = Counter()

    def draw(self, kind: str, key: str) -> float:
        """A number in [0, 1)."""
        self._asked[(kind, key)] += 1
        if self.seed is None:
            return self._random.random()
        digest = hashlib.sha256(f"{self.seed}|{kind}|{key}|{self._asked[(kind, key)]}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def hit(self, kind: str, key: str, probability: float) -> bool:
        if probability <= 0:
            return False
        if self.draw(kind, key) < probability:
            self.injected[kind] += 1
            return True
        return False

    def latency_ms(self, key: str, span: tuple[int, int]) -> int:
        lo, hi = span
        if hi <= 0:
            return 0
        return lo + min(hi - lo, int(self.draw("latency", key) * (hi - lo + 1)))
