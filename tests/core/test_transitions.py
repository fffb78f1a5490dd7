"""The one transition-table check used by dispatches, teams and drill orders."""

from __future__ import annotations

import pytest

from supply.core.errors import ConflictError
from supply.core.transitions import check_transition, origins

#: open ──► shut ──► gone, and shut ──► open again
TABLE = {"open": frozenset({"shut"}), "shut": frozenset({"open", "gone"}), "gone": frozenset()}


def test_a_legal_move_passes() -> None:
    check_transition(TABLE, "door", 1, "shut", "gone")


def test_an_illegal_move_names_the_thing_both_statuses_and_the_allowed_ones() -> None:
    with pytest.raises(ConflictError) as caught:
        check_transition(TABLE, "door", 1, "open", "gone")
    assert str(caught.value) == "door 1 is open: cannot become gone (allowed: shut)"
    assert caught.value.status == 409


def test_the_allowed_statuses_are_sorted() -> None:
    with pytest.raises(ConflictError, match=r"\(allowed: gone, open\)$"):
        check_transition(TABLE, "door", 1, "shut", "shut")


def test_a_final_status_says_so() -> None:
    with pytest.raises(ConflictError, match=r"^door 1 is gone: cannot become open \(allowed: none \(final\)\)$"):
        check_transition(TABLE, "door", 1, "gone", "open")


def test_origins_reads_the_table_backwards() -> None:
    assert origins(TABLE) == {"open": ["shut"], "shut": ["open"], "gone": ["shut"]}
