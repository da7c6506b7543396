"""Which file connector handles a file: detection by content (headers), never by file name."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from data.connectors import _text as t
from data.connectors.base import Chunk, ParseOptions, UnrecognisedFile

FILE_SOURCES: tuple[str, ...] = (
    "stripe",
    "paypal",
    "shopify",
    "gumroad",
    "mailchimp",
    "google_ads",
    "meta_ads",
    "ga4",
    "hubspot",
    "square",
    "pipedrive",
    "salesforce",
    "sendgrid",
    "constant_contact",
    "linkedin_ads",
    "x_ads",
    "mixpanel",
    "amplitude",
    "generic",
)
#: a format must score at least this to be chosen automatically
THRESHOLD = 0.6


def module(source: str) -> ModuleType:
    """The connector module for a source name (raises ValueError for unknown names)."""
    if source not in FILE_SOURCES:
        raise ValueError(f"unknown file source {source!r}; known: {', '.join(FILE_SOURCES)}")
    return importlib.import_module(f"data.connectors.{source}")


#: between a refusal's reason and the list of formats (the Data sources page shows the list apart)
FORMATS_SEPARATOR = "; expected one of: "


def expected_formats() -> list[str]:
    """Human descriptions of every auto-detectable format, for error messages and docs."""
    out: list[str] = []
    for source in FILE_SOURCES:
        if source != "generic":
            out.extend(module(source).FORMATS)
    return out


def scores(path: Path) -> dict[str, float]:
    """Each auto-detectable source's confidence that ``path`` is its export."""
    head = t.read_head(Path(path))
    return {s: float(module(s).sniff(head)) for s in FILE_SOURCES if s != "generic"}


def detect(path: str | Path) -> str:
    """The source name of a vendor export, judged by its content.

    Raises UnrecognisedFile listing the known formats when nothing matches well enough. ``generic`` is never
    detected: it needs a user mapping.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if path.stat().st_size == 0:
        raise UnrecognisedFile(f"{path.name}: the file is empty")
    found = scores(path)
    best = max(found, key=lambda s: found[s])
    if found[best] < THRESHOLD:
        raise UnrecognisedFile(
            f"{path.name}: not a recognised export{FORMATS_SEPARATOR}{'; '.join(expected_formats())}"
        )
    return best


def parse_file(
    path: str | Path, source: str = "auto", options: ParseOptions | None = None
) -> tuple[str, Iterator[Chunk]]:
    """Detect (or take) the source of ``path`` and return it with the stream of chunks.

    With an explicit ``source`` (other than ``generic``) the file must still look like that
    source's export; a mismatch raises UnrecognisedFile naming what was expected.
    """
    path = Path(path)
    options = options or ParseOptions()
    if source == "auto":
        source = detect(path)
    mod = module(source)
    if source == "generic":
        if not options.mapping:
            raise UnrecognisedFile(f"{path.name}: the generic connector needs a column mapping")
    elif mod.sniff(t.read_head(path)) < THRESHOLD:
        raise UnrecognisedFile(
            f"{path.name}: does not look like {source} export; expected {'; '.join(mod.FORMATS)}"
        )
    return source, mod.parse(path, options)
