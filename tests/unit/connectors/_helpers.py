"""Helpers shared by the connector tests (imported explicitly, not a conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl

from data.connectors.base import Chunk, ParseOptions, RowError
from data.connectors.registry import parse_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "vendor"


@dataclass
class Parsed:
    source: str
    chunks: list[Chunk]

    def frame(self, table: str | None = None) -> pl.DataFrame:
        frames = [c.frame for c in self.chunks if table is None or c.table == table]
        return pl.concat(frames)

    def row(self, source_id: str, table: str | None = None) -> dict:
        rows = self.frame(table).filter(pl.col("source_id") == source_id).to_dicts()
        assert len(rows) == 1, f"{source_id}: {len(rows)} rows"
        return rows[0]

    @property
    def errors(self) -> list[RowError]:
        return [e for c in self.chunks for e in c.errors]

    def rows_read(self, table: str | None = None) -> int:
        return sum(c.rows_read for c in self.chunks if table is None or c.table == table)


def parse(name: str | Path, source: str = "auto", **options) -> Parsed:
    path = name if isinstance(name, Path) else FIXTURES / name
    found, chunks = parse_file(path, source, ParseOptions(**options))
    return Parsed(found, list(chunks))


def D(x: str) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(x)
