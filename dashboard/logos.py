"""A workspace's logo, for the cover of its PDF reports.

Kept as a normalised PNG in ``<data dir>/logos/<workspace id>.png`` (mode 0600 like the rest of
the data dir). Whatever the owner gives is decoded and re-encoded by Pillow, so what reaches the
PDF renderer is always a small, valid PNG — never the uploaded bytes themselves.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

from PIL import Image, UnidentifiedImageError

LOGO_DIR = "logos"
#: the largest file accepted (a logo is a few kB; this leaves room for a photo-like PNG)
MAX_INPUT_BYTES = 2 * 1024 * 1024
#: more pixels than this is not a logo (and could be a decompression bomb)
MAX_PIXELS = 25_000_000
#: the stored image fits this box (px); the PDF draws it at most 60 x 16 mm
MAX_BOX = (600, 240)
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")


class LogoError(ValueError):
    """A file that cannot be a workspace logo (with the reason)."""


def logo_file(data_path: Path, workspace_id: int) -> Path:
    """Where the workspace's logo is kept (it may not exist)."""
    return Path(data_path) / LOGO_DIR / f"{int(workspace_id)}.png"


def format_names(formats: tuple[str, ...] = FORMATS) -> str:
    """Pillow format names as people write them: ``PNG, JPEG, GIF or WebP``."""
    names = [{"WEBP": "WebP"}.get(f, f) for f in formats]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def is_svg(content: bytes) -> bool:
    """Whether ``content`` looks like an SVG document (XML text with an ``<svg`` element)."""
    head = content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and b"<svg" in head


def check_size(size: int) -> None:
    """LogoError when a file of ``size`` bytes is over :data:`MAX_INPUT_BYTES` (before reading it)."""
    if size > MAX_INPUT_BYTES:
        raise LogoError(f"the logo is {size / 1e6:.1f} MB; the limit is {MAX_INPUT_BYTES // 1024 // 1024} MB")


def save_logo(
    data_path: Path, workspace_id: int, content: bytes, *, formats: tuple[str, ...] = FORMATS
) -> Path:
    """Check ``content`` is an image in one of ``formats`` and store it as the workspace's logo.

    Nothing is written unless the whole file decodes: a refused file leaves the current logo.
    """
    check_size(len(content))
    accepted = format_names(formats)
    if is_svg(content):
        # Said in words: Pillow would only call it "unidentified", and owners try SVG first.
        raise LogoError(f"an SVG (vector) file cannot be a logo; export it as {accepted}")
    try:
        with Image.open(BytesIO(content)) as probe:
            kind = probe.format
            width, height = probe.size
            if kind not in formats:
                raise LogoError(f"{kind} images are not accepted; use a {accepted} file")
            if width * height > MAX_PIXELS:
                raise LogoError(f"the image is {width} x {height} pixels; a logo needs far fewer")
            probe.verify()  # truncated or corrupt data fails here
        with Image.open(BytesIO(content)) as image:
            image = image.convert("RGBA")
            image.thumbnail(MAX_BOX)
            out = BytesIO()
            image.save(out, format="PNG", optimize=True)
    except LogoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise LogoError(f"the file is not a readable {accepted} image ({type(exc).__name__})") from None
    target = logo_file(data_path, workspace_id)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_suffix(".tmp")
    partial.write_bytes(out.getvalue())
    partial.chmod(0o600)
    os.replace(partial, target)
    return target


def logo_png(data_path: Path, workspace_id: int) -> bytes | None:
    """The workspace's logo as PNG bytes, or None when it has none."""
    path = logo_file(data_path, workspace_id)
    return path.read_bytes() if path.is_file() else None


def remove_logo(data_path: Path, workspace_id: int) -> bool:
    """Forget the workspace's logo; False when it had none."""
    path = logo_file(data_path, workspace_id)
    if not path.is_file():
        return False
    path.unlink()
    return True
