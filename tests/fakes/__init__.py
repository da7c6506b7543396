"""Fake vendor APIs on loopback for tests: one module per vendor, sharing :mod:`tests.fakes._base`."""

from ._base import FakeServer, Recorded, Reply

__all__ = ["FakeServer", "Recorded", "Reply"]
