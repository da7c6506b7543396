"""Shared text helpers for the file connectors.

One place for encodings, CSV reading, numbers, dates, currencies, hashing and channel mapping, so every
vendor parser behaves the same way.

Value parsers work on whole polars Series (one chunk at a time) so the happy path never runs
Python per row; they return null where a value cannot be parsed, and the caller turns "raw value
present but parsed value null" into a :class:`~data.connectors.base.RowError`.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from data.connectors.base import SKIP_BLANK, SKIP_NOT_A_ROW, Chunk, RowError, UnrecognisedFile
from data.schema import MONEY, PRECISE_MONEY, conform

LINE_COL = "__line"
HEAD_BYTES = 256 * 1024

# --------------------------------------------------------------------------------------------
# Encodings and file preparation
# --------------------------------------------------------------------------------------------

_XLSX_MAGIC = b"PK\x03\x04"


def detect_encoding(raw: bytes) -> str:
    """Guess a file's encoding from its first bytes.

    BOMs first, then UTF-16 without BOM (every other byte NUL, as Google Ads' "Excel CSV" writes), then
    UTF-8, else Windows-1252 (Excel).
    """
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le-bom"
    if raw.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be-bom"
    sample = raw[:4096]
    if len(sample) >= 4:
        odd_nuls = sample[1::2].count(0)
        even_nuls = sample[0::2].count(0)
        half = len(sample) // 2
        if odd_nuls > half * 0.3 and even_nuls < half * 0.05:
            return "utf-16-le"
        if even_nuls > half * 0.3 and odd_nuls < half * 0.05:
            return "utf-16-be"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(raw, final=False)  # a multi-byte char cut at the end is not an error
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _python_codec(encoding: str) -> str:
    return {"utf-16-le-bom": "utf-16", "utf-16-be-bom": "utf-16"}.get(encoding, encoding)


def is_xlsx(path: Path) -> bool:
    """True when the file is an Excel workbook (a zip), whatever its name."""
    with open(path, "rb") as fh:
        return fh.read(4) == _XLSX_MAGIC


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: A workbook is a zip: what it unpacks to is checked before anything is read, so a small upload
#: cannot make the server decompress (and hold) gigabytes. An export this big should be a CSV.
XLSX_MAX_UNPACKED_BYTES = 512 * 1024 * 1024
#: shared strings are loaded whole by openpyxl: their part is held to a smaller bound
XLSX_MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
#: cells read from one sheet (rows x columns)
XLSX_MAX_CELLS = 50_000_000


def check_workbook_size(path: Path) -> None:
    """Refuse a workbook that unpacks to more than the limits above (UnrecognisedFile, no reading)."""
    import zipfile

    name = Path(path).name
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnrecognisedFile(f"{name}: not a readable Excel workbook ({exc})") from None
    total = sum(i.file_size for i in infos)
    shared = sum(i.file_size for i in infos if i.filename.lower().endswith("sharedstrings.xml"))
    mb = 1024 * 1024
    if total > XLSX_MAX_UNPACKED_BYTES:
        raise UnrecognisedFile(
            f"{name}: this workbook unpacks to {total // mb:,} MB, more than the "
            f"{XLSX_MAX_UNPACKED_BYTES // mb} MB Pulseboard reads; export it as CSV instead"
        )
    if shared > XLSX_MAX_SHARED_STRINGS_BYTES:
        raise UnrecognisedFile(
            f"{name}: this workbook's text unpacks to {shared // mb:,} MB, more than the "
            f"{XLSX_MAX_SHARED_STRINGS_BYTES // mb} MB Pulseboard reads; export it as CSV instead"
        )


def _xlsx_rows(path: Path, limit: int | None = None) -> Iterator[list[str]]:
    import openpyxl  # only needed for workbooks

    check_workbook_size(path)
    # opened from a handle: openpyxl refuses a path whose name does not end in .xlsx, and a
    # workbook is known by its content ("export.csv" that is really a workbook still reads)
    handle = open(path, "rb")  # noqa: SIM115 - closed in the finally below, after the lazy reads
    try:
        wb = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except BaseException:
        handle.close()
        raise
    try:
        ws = wb.worksheets[0]
        cells = 0
        for i, row in enumerate(ws.iter_rows(values_only=True)):
            if limit is not None and i >= limit:
                break
            cells += len(row)
            if cells > XLSX_MAX_CELLS:
                raise UnrecognisedFile(
                    f"{Path(path).name}: more than {XLSX_MAX_CELLS:,} cells in the first sheet; "
                    "export it as CSV instead"
                )
            yield [_xlsx_cell(v) for v in row]
    finally:
        wb.close()
        handle.close()


def read_head(path: Path, n_bytes: int = HEAD_BYTES) -> str:
    """The first part of a file as text (BOM removed, any encoding, workbooks as CSV), for sniffing formats and locating headers."""
    path = Path(path)
    if is_xlsx(path):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(_xlsx_rows(path, limit=200))
        return buf.getvalue()
    with open(path, "rb") as fh:
        raw = fh.read(n_bytes)
    enc = detect_encoding(raw)
    decoder = codecs.getincrementaldecoder(_python_codec(enc))(errors="replace")
    text = decoder.decode(raw, final=False)
    return text.lstrip("\ufeff")


@contextlib.contextmanager
def utf8_file(path: Path) -> Iterator[Path]:
    """Yield a path to a UTF-8 version of ``path`` that polars can scan.

    the file itself when it already is UTF-8, else a temporary transcoded copy (UTF-16, cp1252, or an XLSX
    first sheet), written in blocks so even huge files never sit in memory.
    """
    path = Path(path)
    if is_xlsx(path):
        fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="pulseboard-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                csv.writer(out, lineterminator="\n").writerows(_xlsx_rows(path))
            yield Path(tmp)
        finally:
            os.unlink(tmp)
        return
    with open(path, "rb") as fh:
        enc = detect_encoding(fh.read(HEAD_BYTES))
    if enc in ("utf-8", "utf-8-sig"):
        yield path  # polars strips a UTF-8 BOM itself
        return
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="pulseboard-")
    try:
        with (
            open(path, encoding=_python_codec(enc), errors="replace", newline="") as src,
            os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
        ):
            first = True
            while block := src.read(1 << 20):
                if first:
                    block = block.lstrip("\ufeff")
                    first = False
                out.write(block)
        yield Path(tmp)
    finally:
        os.unlink(tmp)


# --------------------------------------------------------------------------------------------
# Headers and delimiters
# --------------------------------------------------------------------------------------------


def sniff_separator(line: str) -> str:
    """The most frequent of ``,`` ``;`` and tab outside double quotes in a header line."""
    counts = {",": 0, ";": 0, "\t": 0}
    in_quotes = False
    for ch in line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def split_line(line: str, separator: str | None = None) -> list[str]:
    """Split one CSV line into stripped cells (quotes removed)."""
    sep = separator or sniff_separator(line)
    try:
        cells = next(csv.reader([line], delimiter=sep))
    except (StopIteration, csv.Error):
        return []
    return [c.strip().lstrip("\ufeff").strip() for c in cells]


def norm(name: str) -> str:
    """Normalise a header for lookups.

    case, surrounding space, ``_`` vs space (Excel re-saves write ``Send_Date`` for ``Send Date``) and
    repeated spaces do not matter.
    """
    return " ".join(name.replace("\ufeff", "").replace("_", " ").strip().lower().split())


def find_column(columns: Iterable[str], *candidates: str) -> str | None:
    """The actual header matching the first candidate found (by :func:`norm`), else None."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    for cand in candidates:
        hit = by_norm.get(norm(cand))
        if hit is not None:
            return hit
    return None


def find_column_prefix(columns: Iterable[str], prefix: str) -> str | None:
    """The first header whose normalised form starts with ``prefix`` (e.g. ``amount spent (``)."""
    p = norm(prefix)
    for c in columns:
        if norm(c).startswith(p):
            return c
    return None


def head_lines(head: str, limit: int = 40) -> list[str]:
    """The first complete lines of a head text (the last, possibly cut line is dropped when there are several)."""
    lines = head.splitlines()
    if len(lines) > 1 and not head.endswith(("\n", "\r")):
        lines = lines[:-1]
    return lines[:limit]


def header_score(
    head: str,
    required: Sequence[str | tuple[str, ...]],
    optional: Sequence[str | tuple[str, ...]] = (),
    max_lines: int = 15,
) -> float:
    """Score how well the best of the first lines of ``head`` looks like a header with these columns.

    A required entry may be a tuple of alternatives. All required present -> 0.6..1.0 (more optional columns
    -> higher); otherwise at most 0.5.
    """
    best = 0.0
    for line in head_lines(head, max_lines):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = {norm(c) for c in split_line(line)}
        if not cells:
            continue
        hits = 0
        for req in required:
            alts = req if isinstance(req, tuple) else (req,)
            if any(norm(a) in cells for a in alts):
                hits += 1
        if hits < len(required):
            score = 0.5 * hits / max(len(required), 1)
        else:
            opt = sum(
                1 for o in optional if any(norm(a) in cells for a in (o if isinstance(o, tuple) else (o,)))
            )
            score = 0.6 + 0.4 * (opt / len(optional) if optional else 1.0)
        best = max(best, score)
    return best


def locate_header(path: Path, predicate: Callable[[list[str]], bool], max_lines: int = 40) -> int:
    """The 1-based line number of the first line whose cells satisfy ``predicate``."""
    for i, line in enumerate(head_lines(read_head(path), max_lines), start=1):
        cells = split_line(line)
        if cells and predicate(cells):
            return i
    raise UnrecognisedFile(f"{Path(path).name}: no header line found")


# --------------------------------------------------------------------------------------------
# Streaming CSV reading
# --------------------------------------------------------------------------------------------


@dataclass
class CsvBatches:
    """A CSV file opened for streaming: its header and a generator of raw string batches.

    Every batch is a DataFrame of Utf8 columns (empty cells null) plus ``__line``, the 1-based
    file line where the row starts. Blank lines are dropped.
    """

    path: Path
    header_line: int = 1
    separator: str | None = None
    columns: list[str] = field(default_factory=list)
    #: blank lines (every cell empty) dropped so far and not yet handed on by :meth:`take_blank`
    blank_rows: int = 0

    def take_blank(self) -> int:
        """Blank lines dropped since the last call (pass to ``build_chunk(blank_rows=...)``)."""
        count, self.blank_rows = self.blank_rows, 0
        return count

    def __post_init__(self) -> None:
        lines = head_lines(read_head(self.path), self.header_line + 1)
        if len(lines) < self.header_line:
            raise UnrecognisedFile(f"{self.path.name}: the file is empty")
        header = lines[self.header_line - 1]
        if self.separator is None:
            self.separator = sniff_separator(header)
        self.columns = split_line(header, self.separator)

    def iter(
        self, batch_rows: int, select: Sequence[str] | None = None, exact_lines: bool = True
    ) -> Iterator[pl.DataFrame]:
        """Yield batches of at most ``batch_rows`` rows.

        ``select`` limits the columns read (faster); ``exact_lines`` corrects line numbers for quoted multi-
        line cells, which is only exact for the columns read.
        """
        with utf8_file(self.path) as src:
            names = _dedupe(self.columns)
            lf = pl.scan_csv(
                src,
                separator=self.separator or ",",
                skip_lines=self.header_line - 1,
                has_header=True,
                new_columns=names,
                infer_schema=False,
                truncate_ragged_lines=True,
                row_index_name="__row",
                quote_char='"',
            )
            if select is not None:
                lf = lf.select(["__row", *[c for c in select if c in names]])
            # quoted empty cells ("") are empty too (PayPal quotes every field)
            lf = lf.with_columns(
                pl.when(pl.col(pl.String).str.len_bytes() == 0)
                .then(None)
                .otherwise(pl.col(pl.String))
                .name.keep()
            )
            extra = 0  # newlines inside quoted cells seen so far
            for batch in lf.collect_batches(chunk_size=batch_rows):
                for start in range(0, batch.height, batch_rows):
                    part = batch.slice(start, batch_rows)
                    data_cols = [c for c in part.columns if c != "__row"]
                    base = pl.col("__row").cast(pl.Int64) + (self.header_line + 1 + extra)
                    if exact_lines and data_cols:
                        nl = pl.sum_horizontal(
                            [pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in data_cols]
                        ).cast(pl.Int64)
                        part = part.with_columns((base + nl.cum_sum() - nl).alias(LINE_COL), __nl=nl)
                        extra += int(part["__nl"].sum() or 0)
                        part = part.drop("__nl")
                    else:
                        part = part.with_columns(base.alias(LINE_COL))
                    part = part.drop("__row")
                    if data_cols:
                        blank = pl.all_horizontal([pl.col(c).is_null() for c in data_cols])
                        before = part.height
                        part = part.filter(~blank)
                        self.blank_rows += before - part.height
                    yield part


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        n = n or "column"
        if n in seen:
            seen[n] += 1
            out.append(f"{n}__{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------

NULL_TOKENS = ["", "-", "--", "—", "–", "n/a", "na", "nan", "null", "none", "(not set)"]
_THOUSANDS_COMMA = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_THOUSANDS_DOT = r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$"


def _clean_number_strings(s: pl.Series, decimal_comma: bool | None) -> tuple[pl.Series, pl.Series]:
    """Normalise number strings to ``-1234.56`` form; returns (clean strings, is_percent)."""
    e = pl.col("v").str.strip_chars()
    lower = e.str.to_lowercase()
    e = pl.when(lower.is_in(NULL_TOKENS)).then(None).otherwise(e)
    # currency symbols, spaces (incl. no-break) and apostrophes (Swiss thousands) carry no value
    e = e.str.replace_all(r"[\s\u00a0\u202f'’$€£¥]|^[A-Z]{3}\s*|\s*[A-Z]{3}$", "")
    e = e.str.replace_all(r"^[<>≤≥~]=?", "")  # "< 10%" impression share bounds
    # "(12.50)" is how accountants write a negative number
    e = (
        pl.when(e.str.starts_with("(") & e.str.ends_with(")"))
        .then(pl.lit("-") + e.str.strip_chars("()"))
        .otherwise(e)
    )
    pct = e.str.ends_with("%")
    e = e.str.strip_chars_end("%")
    has_dot = e.str.contains(".", literal=True)
    has_comma = e.str.contains(",", literal=True)
    comma_last = e.str.contains(r",\d*$")
    both = has_dot & has_comma
    if decimal_comma is True:
        only_comma = pl.lit(False)
        only_dot_thousands = e.str.contains(_THOUSANDS_DOT)
    else:
        only_comma = e.str.contains(_THOUSANDS_COMMA)
        only_dot_thousands = pl.lit(False)
    e = (
        pl.when(both & comma_last)
        .then(e.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True))
        .when(both)
        .then(e.str.replace_all(",", "", literal=True))
        .when(has_comma & only_comma)
        .then(e.str.replace_all(",", "", literal=True))
        .when(has_comma)
        .then(e.str.replace(",", ".", literal=True))
        .when(only_dot_thousands)
        .then(e.str.replace_all(".", "", literal=True))
        .otherwise(e)
    )
    out = pl.DataFrame({"v": s.cast(pl.Utf8)}).select(e.alias("v"), pct.fill_null(False).alias("p"))
    return out["v"], out["p"]


def parse_float(s: pl.Series, decimal_comma: bool | None = None, percent: bool = False) -> pl.Series:
    """Parse numbers written any common way to Float64.

    ``1,356,884``, ``1.234,56``, ``0,25``, ``" --"``, ``n/a``, ``-`` (the last three null). Percent strings
    become fractions (``3.2%`` -> 0.032, ``< 10%`` -> 0.1); with ``percent=True`` every value is a
    percentage.
    """
    fast = s.cast(pl.Float64, strict=False) if s.dtype == pl.Utf8 else s.cast(pl.Float64)
    if not percent and fast.null_count() == s.null_count():
        return fast.rename(s.name)
    clean, pct = _clean_number_strings(s, decimal_comma)
    val = clean.cast(pl.Float64, strict=False)
    val = val / 100 if percent else pl.select(pl.when(pct).then(val / 100).otherwise(val)).to_series()
    return val.rename(s.name)


def parse_percent(s: pl.Series, decimal_comma: bool | None = None) -> pl.Series:
    """Parse a rate column to a fraction: ``27.78%`` and ``27.78`` (Excel re-save) -> 0.2778."""
    return parse_float(s, decimal_comma, percent=True)


def parse_int(s: pl.Series, decimal_comma: bool | None = None) -> pl.Series:
    """Parse counts to Int64 (``"1,356,884"`` and ``"1.356.884"`` -> 1356884; a count is never fractional, so ``1.234`` is read as thousands); fractional values are rounded."""
    txt = s.cast(pl.Utf8).str.strip_chars()
    txt = pl.select(
        pl.when(pl.lit(txt).str.contains(_THOUSANDS_DOT + "|" + _THOUSANDS_COMMA))
        .then(pl.lit(txt).str.replace_all(r"[.,]", ""))
        .otherwise(pl.lit(txt))
    ).to_series()
    return parse_float(txt, decimal_comma).round(0).cast(pl.Int64, strict=False).rename(s.name)


def is_null_token(s: pl.Series) -> pl.Series:
    """True where a raw cell is a vendor's way of writing "no value" (``" --"``, ``n/a``, ``-``)."""
    return s.cast(pl.Utf8).str.strip_chars().str.to_lowercase().is_in(NULL_TOKENS).fill_null(False)


def guess_decimal_comma(*columns: pl.Series) -> bool | None:
    """Whether a file writes decimal commas, judged from number columns.

    ``12,34`` or ``1.234,56`` say yes; ``1,356,884`` or ``12.34`` say no; None when nothing settles it.
    """
    for s in columns:
        v = s.drop_nulls().cast(pl.Utf8).str.strip_chars()
        if v.str.contains(r"^[+-]?[\d.]*\d,\d{1,2}$|^[+-]?\d{1,3}(\.\d{3})+,\d+$").any():
            return True
        if v.str.contains(r"^[+-]?\d+\.\d{1,2}$|^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$").any():
            return False
    return None


def parse_money(s: pl.Series, decimal_comma: bool | None = None, dtype: pl.Decimal = MONEY) -> pl.Series:
    """Parse amounts in major units to ``dtype`` (Decimal(18, 2) by default; ``PRECISE_MONEY`` keeps 8 decimals) without going through floats on the happy path (``15.00``); other spellings (``"1.234,56"``, ``$1,011.70``) go through the general cleaner.

    Extra decimals are rounded half away from zero.
    """
    wide = pl.Decimal(38, 10)
    scale = dtype.scale
    if s.dtype != pl.Utf8:
        floats = s.cast(pl.Float64)
        floats = pl.select(pl.when(floats.abs() < MAX_AMOUNT).then(floats)).to_series()
        return floats.cast(wide).round(scale).cast(dtype).rename(s.name)
    fast = s.str.strip_chars().cast(wide, strict=False)
    if fast.null_count() != s.null_count():
        clean, pct = _clean_number_strings(s, decimal_comma)
        fast = clean.cast(wide, strict=False)
        fast = pl.select(pl.when(pct).then(None).otherwise(fast)).to_series()
    return _plausible(fast).round(scale).cast(dtype).rename(s.name)


def _plausible(amounts):
    """Amounts below :data:`MAX_AMOUNT` (an Expr or a Series); larger ones become null.

    The row is then rejected as implausible instead of failing the file on a DECIMAL overflow.
    """
    if isinstance(amounts, pl.Series):
        return pl.select(pl.when(amounts.abs() < MAX_AMOUNT).then(amounts)).to_series().rename(amounts.name)
    return pl.when(amounts.abs() < MAX_AMOUNT).then(amounts)


def parse_bool(s: pl.Series) -> pl.Series:
    """``true``/``TRUE``/``1``/``yes``/``y`` -> True, the opposites -> False, else null."""
    low = s.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    t = {"true": True, "1": True, "yes": True, "y": True, "wahr": True, "vrai": True, "x": True}
    f = {"false": False, "0": False, "no": False, "n": False, "falsch": False, "faux": False}
    return low.replace_strict({**t, **f}, default=None, return_dtype=pl.Boolean).rename(s.name)


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

ISO_DATETIME = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f")
ISO_DATE = ("%Y-%m-%d",)
SHOPIFY_DATETIME = ("%Y-%m-%d %H:%M:%S %z",)
MAILCHIMP_DATETIME = ("%b %d, %Y %I:%M %p", "%m/%d/%y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%y %I:%M %p")
US_DATE = ("%m/%d/%Y", "%m/%d/%y")
EU_DATE = ("%d/%m/%Y", "%d.%m.%Y", "%d/%m/%y", "%d.%m.%y")
GA4_DATE = ("%Y%m%d",)
LONG_DATE = ("%b %d, %Y", "%B %d, %Y", "%a, %b %d, %Y")


def parse_datetime(s: pl.Series, formats: Sequence[str], tz: str | None = None) -> pl.Series:
    """Parse to naive UTC datetimes trying ``formats`` in order (each only on the values still unparsed, so a uniform column costs one pass).

    Values carrying an offset (``%z``) are converted to UTC; others are taken in ``tz`` (IANA name) when
    given, else already UTC. Date-only formats give midnight.
    """
    raw = s.cast(pl.Utf8).str.strip_chars()
    out = pl.Series(s.name, [None] * len(s), dtype=pl.Datetime("us"))
    for fmt in formats:
        todo = out.is_null() & raw.is_not_null()
        if not todo.any():
            break
        if "%H" in fmt or "%I" in fmt:
            parsed = raw.str.to_datetime(fmt, strict=False, time_unit="us")
        else:
            parsed = raw.str.to_date(fmt, strict=False).cast(pl.Datetime("us"))
        if isinstance(parsed.dtype, pl.Datetime) and parsed.dtype.time_zone is not None:
            parsed = parsed.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        elif tz and tz != "UTC":
            parsed = (
                parsed.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
                .dt.convert_time_zone("UTC")
                .dt.replace_time_zone(None)
            )
        out = out.fill_null(parsed.cast(pl.Datetime("us")))
    return out.rename(s.name)


def parse_date(s: pl.Series, formats: Sequence[str]) -> pl.Series:
    """Parse calendar days (no time zone conversion: report days are already local)."""
    raw = s.cast(pl.Utf8).str.strip_chars()
    out = pl.Series(s.name, [None] * len(s), dtype=pl.Date)
    for fmt in formats:
        todo = out.is_null() & raw.is_not_null()
        if not todo.any():
            break
        if "%H" in fmt:
            parsed = raw.str.to_datetime(fmt, strict=False).dt.date()
        else:
            parsed = raw.str.to_date(fmt, strict=False)
        out = out.fill_null(parsed)
    return out.rename(s.name)


def day_first(samples: Iterable[str | None]) -> bool | None:
    """Decide whether ``01/02/2024``-style dates are day-first from values like ``13/02/2024`` (True) or ``02/13/2024`` (False);.

    None when no value settles it.
    """
    for v in samples:
        if not v:
            continue
        m = re.match(r"\s*(\d{1,2})[/.](\d{1,2})[/.]\d{2,4}", v)
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12 >= b:
            return True
        if b > 12 >= a:
            return False
    return None


# --------------------------------------------------------------------------------------------
# Currencies, emails, hashes
# --------------------------------------------------------------------------------------------

ISO_CURRENCIES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SLL",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWL",
    ]
)
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}


def map_unique(s: pl.Series, fn: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """Apply a Series function to the distinct values only and join the result back.

    columns like currency, status or email repeat a lot, so this is much cheaper than per-row work.
    """
    uniq = s.unique()
    if uniq.len() * 4 > s.len():  # mostly distinct: mapping would cost more than it saves
        return fn(s).rename(s.name)
    mapping = pl.DataFrame({"k": uniq, "v": fn(uniq)})
    frame = pl.DataFrame({"k": s})
    return frame.join(mapping, on="k", how="left", nulls_equal=True, maintain_order="left")["v"].rename(
        s.name
    )


def _currency(s: pl.Series) -> pl.Series:
    up = s.cast(pl.Utf8).str.strip_chars().str.to_uppercase()
    return pl.select(pl.when(up.is_in(list(ISO_CURRENCIES))).then(up).otherwise(None)).to_series()


def parse_currency(s: pl.Series) -> pl.Series:
    """Upper-case ISO 4217 codes (``usd`` -> ``USD``); unknown codes become null."""
    return map_unique(s.cast(pl.Utf8), _currency)


def currency_from_header(header: str) -> str | None:
    """The currency named in a header like ``Amount spent (EUR)`` or ``Sale Price ($)``."""
    m = re.search(r"\(([^()]+)\)\s*$", header)
    if not m:
        return None
    token = m.group(1).strip()
    if token.upper() in ISO_CURRENCIES:
        return token.upper()
    return CURRENCY_SYMBOLS.get(token)


def _sha(text: str, length: int = 64) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def _hash_unique(s: pl.Series, fn: Callable[[str], str]) -> pl.Series:
    """Apply ``fn`` once per distinct non-null value (payments repeat customers a lot)."""
    uniq = s.drop_nulls().unique()
    if uniq.len() == 0:
        return pl.Series(s.name, [None] * len(s), dtype=pl.Utf8)
    mapping = pl.DataFrame({"k": uniq, "h": [fn(v) for v in uniq.to_list()]})
    return (
        pl.DataFrame({"k": s})
        .join(mapping, on="k", how="left", maintain_order="left")
        .get_column("h")
        .rename(s.name)
    )


def normalise_email(s: pl.Series) -> pl.Series:
    """Lower-cased, stripped emails; empty ones null."""
    e = s.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    return pl.select(pl.when(e == "").then(None).otherwise(e)).to_series().rename(s.name)


class HashCache:
    """Email -> hash pairs already computed for this file, kept as a polars frame so lookups are a vectorised join; only emails never seen before are hashed in Python."""

    def __init__(self, limit: int = 2_000_000) -> None:
        self.frame = pl.DataFrame(schema={"e": pl.Utf8, "h": pl.Utf8})
        self.limit = limit

    def lookup(self, emails: pl.Series) -> pl.Series:
        """Hashes for distinct normalised ``emails`` (same order)."""
        known = pl.DataFrame({"e": emails}).join(self.frame, on="e", how="left", maintain_order="left")
        miss = known.filter(pl.col("h").is_null() & pl.col("e").is_not_null())["e"].unique()
        if miss.len():
            new = pl.DataFrame({"e": miss, "h": _sha_list(miss.to_list())}, schema=self.frame.schema)
            if self.frame.height + new.height > self.limit:  # bound memory on huge files
                self.frame = self.frame.clear()
            self.frame = pl.concat([self.frame, new])
            known = (
                pl.DataFrame({"e": emails})
                .join(new, on="e", how="left", maintain_order="left")
                .with_columns(pl.coalesce(pl.col("h"), known["h"]))
            )
        return known["h"]


def _sha_list(values: list[str | None]) -> list[str | None]:
    sha = hashlib.sha256
    return [None if v is None else sha(v.encode()).hexdigest() for v in values]


def email_hash(s: pl.Series, cache: HashCache | None = None) -> pl.Series:
    """Sha256 hex of the lower-cased, stripped email (null for empty emails).

    Pass the same ``cache`` for every chunk of a file so repeat customers are hashed once per
    file; when the emails of a chunk are mostly distinct, hashing directly is cheaper than
    any lookup, so the cache is bypassed.
    """
    s = s.cast(pl.Utf8)
    uniq = s.unique()
    if uniq.len() * 2 > s.len():
        return pl.Series(s.name, _sha_list(normalise_email(s).to_list()), dtype=pl.Utf8)
    memo = cache if cache is not None else HashCache()
    mapping = pl.DataFrame({"k": uniq, "v": memo.lookup(normalise_email(uniq))})
    frame = pl.DataFrame({"k": s})
    return frame.join(mapping, on="k", how="left", nulls_equal=True, maintain_order="left")["v"].rename(
        s.name
    )


def email_hash_one(email: str) -> str:
    """The email hash of one address (tests, API clients)."""
    return _sha(email.strip().lower())


def stable_id(*parts: pl.Series) -> pl.Series:
    """A stable id (32 hex chars of sha256) for rows without a vendor id, from natural-key parts joined by ``|`` (nulls as empty).

    Stable across runs and polars versions.
    """
    frame = pl.DataFrame({f"p{i}": p.cast(pl.Utf8) for i, p in enumerate(parts)})
    joined = frame.select(
        pl.concat_str([pl.col(c).fill_null("") for c in frame.columns], separator="|").alias("k")
    )["k"]
    return _hash_unique(joined, lambda v: _sha(v, 32))


def stable_id_one(*parts: str | None) -> str:
    """The :func:`stable_id` of one row (tests, API clients)."""
    return _sha("|".join("" if p is None else str(p) for p in parts), 32)


# --------------------------------------------------------------------------------------------
# Channels
# --------------------------------------------------------------------------------------------

SEARCH_SOURCES = (
    "google",
    "bing",
    "yahoo",
    "duckduckgo",
    "baidu",
    "yandex",
    "ecosia",
    "qwant",
    "naver",
    "startpage",
    "search",
)
SOCIAL_SOURCES = (
    "facebook",
    "fb",
    "instagram",
    "ig",
    "meta",
    "linkedin",
    "lnkd.in",
    "twitter",
    "t.co",
    "x.com",
    "tiktok",
    "pinterest",
    "reddit",
    "youtube",
    "snapchat",
    "threads",
    "mastodon",
    "bsky",
    "quora",
    "whatsapp",
    "telegram",
    "social",
)

CHANNELS = (
    "Paid Search",
    "Paid Social",
    "Display",
    "Paid Other",
    "Email",
    "Affiliates",
    "Organic Search",
    "Organic Social",
    "Referral",
    "Direct",
)


def channel_expr(source: pl.Expr, medium: pl.Expr) -> pl.Expr:
    """GA4 default channel group label for utm_source/utm_medium (a simplified version of Google's rules).

    "Paid Search", "Paid Social", "Display", "Paid Other", "Email", "Affiliates", "Organic Search", "Organic
    Social", "Referral", "Direct" (nothing set).
    """
    src = source.cast(pl.Utf8).str.strip_chars().str.to_lowercase().fill_null("")
    med = medium.cast(pl.Utf8).str.strip_chars().str.to_lowercase().fill_null("")
    src = pl.when(src.is_in(["(direct)", "(none)", "direct"])).then(pl.lit("")).otherwise(src)
    med = pl.when(med.is_in(["(none)", "(not set)", "none"])).then(pl.lit("")).otherwise(med)
    search = src.str.contains("|".join(re.escape(x) for x in SEARCH_SOURCES))
    social = src.str.contains("|".join(re.escape(x) for x in SOCIAL_SOURCES)) | med.is_in(
        ["social", "social-network", "social-media", "sm", "social network", "social media"]
    )
    paid = med.str.contains(r"^(.*cp.*|ppc|retargeting|paid.*|cpm|cpv|cpa)$")
    return (
        pl.when((src == "") & (med == ""))
        .then(pl.lit("Direct"))
        .when(med.str.contains("e-?mail|newsletter") | src.str.contains("e-?mail|newsletter|mailchimp"))
        .then(pl.lit("Email"))
        .when(med.is_in(["display", "banner", "expandable", "interstitial", "cpm"]))
        .then(pl.lit("Display"))
        .when(paid & social)
        .then(pl.lit("Paid Social"))
        .when(paid & search)
        .then(pl.lit("Paid Search"))
        .when(paid)
        .then(pl.lit("Paid Other"))
        .when(med == "affiliate")
        .then(pl.lit("Affiliates"))
        .when(social)
        .then(pl.lit("Organic Social"))
        .when(search | (med == "organic"))
        .then(pl.lit("Organic Search"))
        .otherwise(pl.lit("Referral"))
    )


def channel_series(source: pl.Series | None, medium: pl.Series | None, n: int) -> pl.Series:
    """:func:`channel_expr` over Series (either may be missing -> treated as empty)."""
    empty = pl.Series([None] * n, dtype=pl.Utf8)
    frame = pl.DataFrame(
        {
            "s": source.cast(pl.Utf8) if source is not None else empty,
            "m": medium.cast(pl.Utf8) if medium is not None else empty,
        }
    )
    # few distinct source/medium pairs: classify those, then join back (regexes are costly)
    pairs = frame.unique().with_columns(channel_expr(pl.col("s"), pl.col("m")).alias("channel"))
    return frame.join(pairs, on=["s", "m"], how="left", nulls_equal=True, maintain_order="left")["channel"]


# --------------------------------------------------------------------------------------------
# Building chunks with row errors
# --------------------------------------------------------------------------------------------


def col(raw: pl.DataFrame, name: str | None) -> pl.Series:
    """A raw column by actual header, or an all-null Utf8 Series when the file lacks it."""
    if name is not None and name in raw.columns:
        return raw.get_column(name)
    return pl.Series(name or "missing", [None] * raw.height, dtype=pl.Utf8)


@dataclass
class Check:
    """A rejection rule: rows where ``bad`` is True are dropped with ``reason(raw_value)``."""

    bad: pl.Series
    column: str
    source_column: str | None
    reason: Callable[[str | None], str]


def unparsed(raw: pl.Series, parsed: pl.Series) -> pl.Series:
    """True where the file had a value but parsing gave nothing."""
    return (raw.is_not_null() & parsed.is_null()).fill_null(False)


def build_chunk(
    table: str,
    source: str,
    raw: pl.DataFrame,
    values: dict[str, pl.Series | object],
    checks: Sequence[Check] = (),
    keep: pl.Series | None = None,
    rows_read: int | None = None,
    *,
    skip_reason: str = SKIP_NOT_A_ROW,
    skips: Sequence[tuple[pl.Series, str]] = (),
    blank_rows: int = 0,
) -> Chunk:
    """Assemble a :class:`Chunk`.

    canonical columns from ``values`` (Series or scalars), rows failing a check become :class:`RowError`
    (first failing check wins). Rows are skipped (read, counted per reason in ``Chunk.skipped``,
    not imported) where a ``skips`` mask is True (the first matching reason counts) or else
    where ``keep`` is False (reason ``skip_reason``). ``blank_rows`` blank lines dropped by
    :class:`CsvBatches` before this batch are counted as read and skipped too.
    """
    n = raw.height
    lines = raw.get_column(LINE_COL) if LINE_COL in raw.columns else pl.int_range(2, n + 2, eager=True)
    keep_mask = keep.fill_null(False) if keep is not None else pl.Series([True] * n, dtype=pl.Boolean)
    skipped: dict[str, int] = {}
    taken = pl.Series([False] * n, dtype=pl.Boolean)
    for mask, reason in skips:
        hit = mask.fill_null(False) & ~taken
        count = int(hit.sum())
        if count:
            skipped[reason] = skipped.get(reason, 0) + count
            taken = taken | hit
    rest = int((~keep_mask & ~taken).sum())
    if rest:
        skipped[skip_reason] = skipped.get(skip_reason, 0) + rest
    keep_mask = keep_mask & ~taken
    if blank_rows:
        skipped[SKIP_BLANK] = blank_rows
    bad_any = pl.Series([False] * n, dtype=pl.Boolean)
    errors: list[RowError] = []
    raw_cols = [c for c in raw.columns if c != LINE_COL]
    for check in checks:
        mask = check.bad.fill_null(False) & keep_mask & ~bad_any
        if not mask.any():
            continue
        idx = mask.arg_true().to_list()
        rows = raw.select(raw_cols)[idx].to_dicts()
        line_vals = lines.gather(idx).to_list()
        for row, line in zip(rows, line_vals, strict=True):
            value = row.get(check.source_column) if check.source_column else None
            errors.append(
                RowError(
                    row_number=int(line),
                    # the file's own header ("Created date (UTC)"), which the user can find
                    column=check.source_column or check.column,
                    reason=check.reason(value),
                    raw={k: (None if v is None else str(v)) for k, v in row.items()},
                )
            )
        bad_any = bad_any | mask
    errors.sort(key=lambda e: e.row_number)
    good = keep_mask & ~bad_any
    data = {"source": pl.Series([source] * n, dtype=pl.Utf8)}
    for name, v in values.items():
        if isinstance(v, pl.Series):
            data[name] = v.rename(name)
        else:
            data[name] = pl.repeat(v, n, eager=True).rename(name) if v is not None else None
    frame = pl.DataFrame({k: v for k, v in data.items() if v is not None})
    if not good.all():
        frame = frame.filter(good)
        lines = lines.filter(good)
    return Chunk(
        table=table,
        frame=conform(table, frame),
        errors=errors,
        rows_read=(n if rows_read is None else rows_read) + blank_rows,
        row_numbers=lines.cast(pl.Int64).rename("row_number"),
        skipped=skipped,
        source_columns={c.column: c.source_column for c in checks if c.column and c.source_column},
    )


def count_blank(chunk: Chunk, blank_rows: int) -> Chunk:
    """Count ``blank_rows`` blank lines as read and skipped in ``chunk`` (for chunks not made by build_chunk)."""
    if blank_rows:
        chunk.rows_read += blank_rows
        chunk.skipped[SKIP_BLANK] = chunk.skipped.get(SKIP_BLANK, 0) + blank_rows
    return chunk


def missing_columns(path: Path, what: str, columns: Sequence[str], **needed: str | None) -> None:
    """Raise UnrecognisedFile naming the required headers a recognised file lacks."""
    lacking = [label for label, actual in needed.items() if actual is None]
    if lacking:
        raise UnrecognisedFile(
            f"{Path(path).name}: looks like {what} but lacks column(s) {', '.join(lacking)}; "
            f"found: {', '.join(columns[:30])}"
        )


def reason_date(expected: str) -> Callable[[str | None], str]:
    """A RowError reason for an unparseable date."""
    return lambda v: f"unparseable date {v!r} (expected {expected})"


#: amounts at or above this are implausible for one row (and would not fit the warehouse's DECIMAL)
MAX_AMOUNT = 10**12


def reason_number(v: str | None) -> str:
    """A RowError reason for a value that is not a number, or not a plausible one (>= 1e12)."""
    try:
        if v is not None and abs(float(str(v).replace(",", "").strip())) >= MAX_AMOUNT:
            return f"implausible amount {v!r} (at most 999,999,999,999.99)"
    except ValueError:
        pass
    return f"not a number: {v!r}"


def reason_currency(v: str | None) -> str:
    """A RowError reason for an unknown currency code."""
    return f"unknown currency code {v!r}"


def reason_negative(v: str | None) -> str:
    """A RowError reason for a negative count or amount."""
    return f"negative value {v!r} not allowed"


def reporting(amount: pl.Series, currency: pl.Series, reporting_currency: str) -> pl.Series:
    """``amount`` where the row's currency already is the reporting currency, else null (the ingest layer converts the rest with its FX table)."""
    return pl.select(pl.when(currency == reporting_currency.upper()).then(amount).otherwise(None)).to_series()


def money_checks(
    values: dict[str, tuple[pl.Series, pl.Series]], source_cols: dict[str, str | None]
) -> list[Check]:
    """Checks for canonical columns whose raw value was present but did not parse as a number."""
    return [
        Check(unparsed(raw, parsed), name, source_cols.get(name), reason_number)
        for name, (raw, parsed) in values.items()
    ]


def country_code(s: pl.Series) -> pl.Series:
    """Upper-case ISO 3166 alpha-2 codes; anything that is not two letters becomes null."""
    up = s.cast(pl.Utf8).str.strip_chars().str.to_uppercase()
    return pl.select(pl.when(up.str.contains(r"^[A-Z]{2}$")).then(up)).to_series().rename(s.name)


# --------------------------------------------------------------------------------------------
# Fused column parsing (one polars pass on the happy path)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """How to parse one raw column.

    ``kind`` is money (cents), precise_money (8 decimals, see ``data.schema.PRECISE_MONEY``), float, int, percent, datetime, date, currency, bool or str; ``formats`` for dates;
    ``tz`` for local datetimes.
    """

    kind: str
    source: str | None
    formats: tuple[str, ...] = ()
    tz: str | None = None


def _fast_expr(spec: Spec) -> pl.Expr:
    e = pl.col(spec.source)  # type: ignore[arg-type]
    if spec.kind == "money":
        return _plausible(e.cast(pl.Decimal(38, 10), strict=False)).round(2).cast(MONEY)
    if spec.kind == "precise_money":
        return _plausible(e.cast(pl.Decimal(38, 10), strict=False)).round(8).cast(PRECISE_MONEY)
    if spec.kind == "float":
        return e.cast(pl.Float64, strict=False)
    if spec.kind == "int":
        return e.cast(pl.Int64, strict=False)
    if spec.kind == "datetime":
        fmt = spec.formats[0]
        if "%z" in fmt or (spec.tz and spec.tz != "UTC"):
            return pl.lit(None, dtype=pl.Datetime("us"))  # left to the general parser
        if "%H" in fmt or "%I" in fmt:
            return e.str.to_datetime(fmt, strict=False, time_unit="us")
        return e.str.to_date(fmt, strict=False).cast(pl.Datetime("us"))
    if spec.kind == "date":
        return e.str.to_date(spec.formats[0], strict=False)
    if spec.kind == "currency":
        up = e.str.strip_chars().str.to_uppercase()
        return pl.when(up.is_in(list(ISO_CURRENCIES))).then(up)
    if spec.kind == "str":
        return e.str.strip_chars()
    return pl.lit(None)  # percent, bool: general parser only


def _full_parse(s: pl.Series, spec: Spec, decimal_comma: bool | None) -> pl.Series:
    if spec.kind == "money":
        return parse_money(s, decimal_comma)
    if spec.kind == "precise_money":
        return parse_money(s, decimal_comma, PRECISE_MONEY)
    if spec.kind == "float":
        return parse_float(s, decimal_comma)
    if spec.kind == "percent":
        return parse_percent(s, decimal_comma)
    if spec.kind == "int":
        return parse_int(s, decimal_comma)
    if spec.kind == "datetime":
        return parse_datetime(s, spec.formats, spec.tz)
    if spec.kind == "date":
        return parse_date(s, spec.formats)
    if spec.kind == "currency":
        return parse_currency(s)
    if spec.kind == "bool":
        return parse_bool(s)
    return s.str.strip_chars()


_NULL_OF = {
    "money": MONEY,
    "precise_money": PRECISE_MONEY,
    "float": pl.Float64,
    "percent": pl.Float64,
    "int": pl.Int64,
    "datetime": pl.Datetime("us"),
    "date": pl.Date,
    "currency": pl.Utf8,
    "bool": pl.Boolean,
    "str": pl.Utf8,
}


def parse_columns(
    raw: pl.DataFrame, specs: dict[str, Spec], decimal_comma: bool | None = None
) -> tuple[pl.DataFrame, dict[str, pl.Series]]:
    """Parse many raw columns at once.

    Returns the parsed frame (one column per spec name) and, per spec name, a mask of rows where the file
    had a value that did not parse.

    All columns are first parsed with a cheap strict expression in a single polars pass; only a
    column with leftovers (decimal commas, ``--``, a second date format ...) is re-parsed with
    the general parser, so clean files never pay for the general rules.
    """
    present = {k: s for k, s in specs.items() if s.source is not None and s.source in raw.columns}
    exprs = [_fast_expr(s).alias(k) for k, s in present.items()]
    out = raw.select(exprs) if exprs else pl.DataFrame()
    fixed: dict[str, pl.Series] = {}
    bad: dict[str, pl.Series] = {}
    for k, s in present.items():
        src = raw.get_column(s.source)  # type: ignore[arg-type]
        got = out.get_column(k)
        if (src.is_not_null() & got.is_null()).any():
            got = _full_parse(src, s, decimal_comma)
            fixed[k] = got
        miss = (src.is_not_null() & got.is_null()).fill_null(False)
        # only look for "--"/"n/a" tokens when something failed (the check is a string pass)
        bad[k] = (miss & ~is_null_token(src)) if miss.any() else miss
    if fixed:
        out = out.with_columns([v.alias(k) for k, v in fixed.items()])
    missing = [pl.lit(None, dtype=_NULL_OF[s.kind]).alias(k) for k, s in specs.items() if k not in present]
    if missing:
        if not out.width:
            out = pl.DataFrame({"__n": pl.Series([None] * raw.height, dtype=pl.Null)})
        out = out.with_columns(missing)
    for k in specs:
        bad.setdefault(k, pl.Series([False] * raw.height, dtype=pl.Boolean))
    return out.select(list(specs)), bad
