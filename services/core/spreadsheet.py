"""Text that goes into files people open in a spreadsheet, and the name they are saved under."""

from __future__ import annotations

import re
from urllib.parse import quote

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these (OWASP CSV injection)
_UNSAFE_IN_QUOTES = re.compile(r'[^\x20-\x7e]|["\\%]')


def neutralise(text: str) -> str:
    """A leading apostrophe before anything a spreadsheet would evaluate as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def attachment(filename: str) -> str:
    """A Content-Disposition for any file name (RFC 6266): an ASCII fallback in ``filename`` and
    the exact name, UTF-8 percent-encoded, in ``filename*`` (RFC 5987)."""
    fallback = _UNSAFE_IN_QUOTES.sub("_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
