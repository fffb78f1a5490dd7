"""Reading a TOML document safely: bounded size and nesting, finite numbers, every fault named.

Every scenario file (and the ``scenario_toml`` of an API body) is parsed here before anything
looks at it, so no input can exhaust the parser (``tomllib`` recurses once per nesting level) or
smuggle in ``inf``/``nan`` that would make a simulation run forever. Faults are
:class:`~supply.core.errors.Problem` records naming the key path, like every other check.
"""

from __future__ import annotations

import math
import tomllib
from typing import Any

from supply.core.errors import Problem, ScenarioError
from supply.core.validation import key_path

#: The largest TOML document accepted, in characters (a city's network of thousands of sites fits).
MAX_CHARS = 5_000_000
#: The deepest nesting of tables and arrays accepted (the format needs 4).
MAX_DEPTH = 12
#: Brackets and braces deeper than this in the text are refused before parsing (the parser recurses).
_MAX_TEXT_DEPTH = 64


def parse_toml(text: str, source: str, key: str = "", what: str = "file") -> dict[str, Any]:
    """Parse ``text``; refuse it whole (a :class:`ScenarioError` at ``key``) if too large or malformed."""
    if len(text) > MAX_CHARS:
        msg = f"{what} is too large: {len(text):,} characters (at most {MAX_CHARS:,})"
        raise ScenarioError([Problem(source, key, msg)])
    if _text_depth(text) > _MAX_TEXT_DEPTH:
        msg = f"{what}: arrays or inline tables nested too deeply (at most {MAX_DEPTH} levels)"
        raise ScenarioError([Problem(source, key, msg)])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(source, key, f"{what}: not valid TOML: {exc}")]) from None
    except RecursionError:
        msg = f"{what}: arrays or inline tables nested too deeply (at most {MAX_DEPTH} levels)"
        raise ScenarioError([Problem(source, key, msg)]) from None
    problems = document_problems(data, source)
    if problems:
        raise ScenarioError(problems)
    return data


def _text_depth(text: str) -> int:
    """An upper bound of the bracket nesting in ``text`` (brackets in strings count too: a bound only)."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


def document_problems(data: Any, source: str) -> list[Problem]:
    """Nesting deeper than :data:`MAX_DEPTH` and non-finite numbers, each at its key path (no recursion)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if len(loc) > MAX_DEPTH:
            problems.append(Problem(source, key_path(loc), f"nested too deeply (at most {MAX_DEPTH} levels)"))
            continue
        if isinstance(value, dict):
            stack.extend((v, (*loc, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*loc, i)) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(Problem(source, key_path(loc), f"must be a finite number, got {value}"))
    return sorted(problems, key=lambda p: p.path)
