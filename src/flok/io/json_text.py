"""JSON text checked before it is trusted: nesting depth, lone surrogates, errors in words.

Python's parser accepts ``"\\ud800"`` (a lone UTF-16 surrogate, which no UTF-8 text can hold)
and nesting up to the interpreter's recursion limit. Either then breaks a later step that
encodes or walks the value (the response, a database JSON column, a recursive reader) with a
crash, long after the request was accepted. Refusing such text where it arrives (the service's
request bodies, JSON uploads, the dashboard's JSON form fields) keeps every later layer simple.
The checks read the raw bytes with regular expressions and ``bytes.replace``, so they cost a
small fraction of parsing even for a body at the size limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flok.errors import InputError

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects accepted; Flok's own bodies need fewer than ten levels."""

_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
# An escaped backslash (skipped: "\\ud800" is text, not an escape), a valid surrogate pair, a lone one.
_ESCAPES = re.compile(
    rb"(\\\\)|(\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_SQUARE = bytes.maketrans(b"{}", b"[]")  # depth does not care which kind of bracket


def too_deep(raw: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than ``max_depth`` levels (strings are skipped).

    Each pass removes the innermost pairs, so the passes needed to empty the
    brackets are the depth. Malformed text (brackets that never pair) is left to the parser.
    """
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False
    brackets = _outside_strings(raw)
    for _ in range(max_depth):
        inner = brackets.replace(b"[]", b"")
        if not inner or inner == brackets:
            return False
        brackets = inner
    return True


def _outside_strings(raw: bytes) -> bytes:
    """The brackets of ``raw`` that are not inside a string, in order, all as ``[`` and ``]``.

    Escapes go first (left to right, as a parser reads them, so an escaped backslash cannot
    pair with the next character); then only brackets and quotes are kept, and since dropping
    two adjacent quotes keeps every later quote's parity, empty strings can go at once before
    the text between the remaining pairs of quotes is dropped.
    """
    kept = raw.replace(b"\\\\", b"").replace(b'\\"', b"").translate(_SQUARE, _NOT_STRUCTURE)
    return b"".join(kept.replace(b'""', b"").split(b'"')[::2])


def lone_surrogate_at(raw: bytes) -> int | None:
    """The byte offset of the first ``\\uD800``–``\\uDFFF`` escape that is not half of a pair."""
    if _MAYBE_SURROGATE.search(raw) is None:
        return None
    for match in _ESCAPES.finditer(raw):
        if match.group(1) is None and match.group(2) is None:
            return match.start()
    return None


def position(text: bytes | str, offset: int) -> str:
    """``line L, column C`` (from 1) of a character or byte offset, as an editor shows it."""
    head = text[:offset]
    before = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    line = before.count("\n") + 1
    return f"line {line}, column {len(before) - (before.rfind(chr(10)) + 1) + 1}"


def problem(raw: bytes, max_depth: int = MAX_DEPTH) -> str | None:
    """What makes ``raw`` unacceptable, or None; syntax is left to the parser.

    Not UTF-8 (``json.loads`` also takes UTF-16 and UTF-32, and decodes UTF-8-encoded
    surrogates with ``surrogatepass``), nested too deeply, or a lone surrogate escape.
    """
    if json.detect_encoding(raw[:4]) not in ("utf-8", "utf-8-sig"):
        return "JSON text must be UTF-8"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"JSON text is not valid UTF-8 ({position(raw, exc.start)})"
    if too_deep(raw, max_depth):
        return f"JSON nests more than {max_depth} levels of arrays and objects"
    at = lone_surrogate_at(raw)
    if at is not None:
        escape = raw[at : at + 6].decode("ascii", errors="replace")
        return f"JSON holds a lone surrogate {escape} ({position(raw, at)}), which is not valid Unicode text"
    return None


def loads(raw: bytes | str, *, source: str | None = None, field: str | None = None) -> Any:
    """Parse JSON text after :func:`problem`; every refusal is an ``InputError`` in words."""
    data = raw.encode("utf-8", errors="surrogatepass") if isinstance(raw, str) else raw
    found = problem(data)
    if found is not None:
        raise InputError(found, source=source, field=field)
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON ({position(exc.doc, exc.pos)}): {exc.msg}", source=source, field=field
        ) from None
    except RecursionError:  # pragma: no cover - ``problem`` refuses deep text first
        raise InputError("JSON nests too deeply", source=source, field=field) from None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def readable(value: Any, depth: int = 0) -> Any:
    """A parsed JSON value every encoder can write: lone surrogates become U+FFFD and nesting
    deeper than ``MAX_DEPTH`` is cut to null.

    For values stored before these checks existed: showing them must not fail on every read.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list | dict) and depth >= MAX_DEPTH:
        return None
    if isinstance(value, list):
        return [readable(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {readable(str(k)): readable(v, depth + 1) for k, v in value.items()}
    return value


def is_encodable(value: Any) -> bool:
    """Whether ``value`` can be written as strict UTF-8 JSON (no lone surrogate, NaN or cycle)."""
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
        return False
    return True
