"""Small helpers shared by the validators: JSON type names, value quoting, paths.

Validators collect problems as ``(path, message)`` pairs so a form or a command line
can show every problem at once, next to the field it concerns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Problem = tuple[str, str]

_MAX_SHOWN = 60


def json_type(value: object) -> str:
    """Name the JSON type of `value` the way a JSON author would."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def show(value: object) -> str:
    """Quote `value` for a message, shortened so a huge input never floods it."""
    if isinstance(value, str):
        text = value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 3] + "..."
        return f"'{text}'"
    try:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def described(value: object) -> str:
    """Return the JSON type and the quoted value, e.g. "string 'yes'"."""
    if value is None or isinstance(value, Mapping | list | tuple):
        return json_type(value)
    return f"{json_type(value)} {show(value)}"


def child(path: str, key: str | int) -> str:
    """Join a field name or an array index onto a dotted path."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def is_array(value: object) -> bool:
    """Tell whether `value` is a JSON array (a list, or a tuple from frozen data)."""
    return isinstance(value, list | tuple)


def one_of(allowed: Iterable[str]) -> str:
    """List allowed values for a message."""
    return ", ".join(allowed)


def render_problems(problems: Sequence[Problem], root: str) -> str:
    """Join problems into one readable line, naming `root` for a path-less problem."""
    return "; ".join(f"{path or root}: {message}" for path, message in problems)


def check_object(
    value: object,
    at: str,
    fields: tuple[str, ...],
    required: tuple[str, ...],
    problems: list[Problem],
) -> bool:
    """Check `value` is an object with only `fields` and all of `required`; report problems."""
    if not isinstance(value, Mapping):
        problems.append((at, f"expected a JSON object, got {described(value)}"))
        return False
    for key in value:
        if key not in fields:
            problems.append(
                (child(at, str(key)), f"unknown field; allowed fields are: {one_of(fields)}")
            )
    for key in required:
        if key not in value:
            problems.append((child(at, key), "required field is missing"))
    return True


def text_field(
    obj: Mapping[str, Any],
    key: str,
    at: str,
    problems: list[Problem],
    *,
    limit: int,
    pattern: re.Pattern[str] | None = None,
    example: str = "",
) -> str | None:
    """Return the non-empty string at `key`, or None after reporting what is wrong."""
    if key not in obj:
        return None  # Reported as missing by check_object.
    value, path = obj[key], child(at, key)
    if not isinstance(value, str) or not value.strip():
        problems.append((path, f"expected a non-empty string, got {described(value)}"))
        return None
    if len(value) > limit:
        problems.append((path, f"is {len(value)} characters long; the maximum is {limit}"))
        return None
    if pattern is not None and not pattern.fullmatch(value):
        problems.append((path, f"{show(value)} is not well-formed; write it like {example}"))
        return None
    return value
