"""Fixtures of the refund service's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eventkit.testing.server import ServiceProcess

from .live import banksim


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[ServiceProcess]:
    """The bank simulator as its own process, stopped after the test."""
    proc = banksim(tmp_path)
    yield proc
    proc.stop()
