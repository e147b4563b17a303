"""The decisions of flaskstack.web.static_precompress, without I/O: which files of a static tree
get compressed variants, whether a variant on disk is still good, and whether a compressed form is
worth keeping. Pure functions, table-tested in tests/unit/test_static_precompress.py."""

from __future__ import annotations

from collections.abc import Iterable

# Each encoding the module writes: the suffix Nginx's gzip_static / brotli_static look for.
SUFFIXES: dict[str, str] = {"gzip": ".gz", "br": ".br"}

# Files that are compressed variants (or compressed archives) themselves: never compressed again,
# whatever the extension list says.
COMPRESSED_SUFFIXES: frozenset[str] = frozenset({".gz", ".br", ".zst", ".zz", ".bz2", ".xz"})


def normalize_extensions(extensions: Iterable[str]) -> frozenset[str]:
    """The extensions as lower-case suffixes with their dot: `CSS`, `.css` and `css` are `.css`."""
    return frozenset("." + ext.strip().lstrip(".").lower() for ext in extensions if ext.strip())


def skip_reason(name: str, size: int, extensions: frozenset[str], min_size: int) -> str | None:
    """Why the file `name` (a base name) of `size` bytes gets no compressed variants, or None
    when it gets them. `extensions` as normalize_extensions() returns them."""
    lowered = name.lower()
    suffix = lowered[lowered.rfind(".") :] if "." in lowered.lstrip(".") else ""
    if suffix in COMPRESSED_SUFFIXES:
        return "compressed"
    if suffix not in extensions:
        return "extension"
    if size < min_size:
        return "small"
    return None


def variant_state(
    source_mtime_ns: int, variant_mtime_ns: int | None, variant_is_file: bool = True
) -> str:
    """`missing`, `stale` or `fresh`: a variant is fresh when it is a regular file with exactly
    the source's mtime (the module gives every variant it writes its source's mtime, so a source
    changed since, or a variant written by something else, is stale)."""
    if variant_mtime_ns is None:
        return "missing"
    if not variant_is_file or variant_mtime_ns != source_mtime_ns:
        return "stale"
    return "fresh"


def worth_keeping(source_size: int, compressed_size: int) -> bool:
    """A compressed form is kept only when it is smaller than the source: otherwise Nginx would
    send more bytes (and the client would decompress) for nothing."""
    return compressed_size < source_size


def action(state: str, worth: bool) -> str:
    """What to do with one variant: `write` (missing or stale, and worth keeping), `remove` (a
    variant on disk that is stale and no longer worth keeping: Nginx would serve it), `keep`
    (fresh) or `none` (missing and not worth writing)."""
    if state == "fresh":
        return "keep"
    if worth:
        return "write"
    return "remove" if state == "stale" else "none"
