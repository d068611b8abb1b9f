"""Text shown on a terminal: file names can hold control characters (an escape sequence in a name can
recolour, move the cursor or retitle the terminal; a newline forges a line of output). Every human-readable
line the command line prints goes through :func:`shown`, which writes such characters as visible escapes."""

from __future__ import annotations

import re

# C0 controls (tab and newline included: a name must not break a line), DEL, C1 controls, and the Unicode
# bidirectional overrides/isolates (which reorder what is displayed)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def shown(text: object) -> str:
    """``text`` with every control character written as a visible escape (``\\x1b``, ``\\u202e``)."""
    return _UNSAFE.sub(_escape, str(text))


# What can reorder the text around it in a window: the bidirectional embeddings, overrides and isolates
_REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069]")


def bidi_safe(text: object) -> str:
    """``text`` for a line of the window: a query's or a file name's bidirectional embeddings, overrides and
    isolates (U+202A–U+202E, U+2066–U+2069) written as visible escapes, so they cannot reorder the window's
    own words after them ('Nothing close to “a\u202ecross” in 81 photos' drawn as '… ni ”ssorc'); right-to-left
    writing itself (Hebrew, Arabic) is left as it is."""
    return _REORDERING.sub(_escape, str(text))
