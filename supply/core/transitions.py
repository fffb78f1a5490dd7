"""State machines as transition tables: one check and one message for every lifecycle.

Dispatches (:mod:`supply.service.dispatches`), teams (:mod:`supply.drills.teams`) and drill
orders (:mod:`supply.drills.orders`) each declare a table ``{status: statuses it may become}``.
An illegal move is a :class:`~supply.core.errors.ConflictError` (HTTP 409, exit 1) whose message
always has the same shape, so an officer reads every refusal the same way::

    dispatch 7 is delivered: cannot become cancelled (allowed: closed)
    order 3 is done: cannot become refused (allowed: none (final))
"""

from __future__ import annotations

from collections.abc import Mapping

from supply.core.errors import ConflictError

#: A lifecycle: each status and the statuses it may become (empty for a final status).
Transitions = Mapping[str, frozenset[str]]


def check_transition(table: Transitions, kind: str, ident: object, current: str, target: str) -> None:
    """Raise :class:`ConflictError` unless ``table`` lets ``kind ident`` (e.g. ``"team", "GZ-K1"``) go
    from ``current`` to ``target``; the message lists the statuses it may become instead."""
    allowed = table.get(current, frozenset())
    if target not in allowed:
        choices = ", ".join(sorted(allowed)) or "none (final)"
        raise ConflictError.worded(
            "{kind} {ident} is {current}: cannot become {target} (allowed: {choices})",
            kind=kind,
            ident=ident,
            current=current,
            target=target,
            choices=choices,
        )


def origins(table: Transitions) -> dict[str, list[str]]:
    """For each status, the statuses it may be reached from, sorted (the table read backwards)."""
    return {to: sorted(s for s, nxt in table.items() if to in nxt) for to in table}
