"""``--compare`` as a reader sees it: names, percentages, p-values in words, a dash with its reason."""

from __future__ import annotations

from simulation.compare import _row, p_text, text
from simulation.stats import Welford


def welford(*xs: float) -> Welford:
    w = Welford()
    for x in xs:
        w.add(x)
    return w


def test_p_values_in_words():
    assert [p_text(p) for p in (None, 0.0, 0.0004, 0.004, 0.04, 0.5, 1.0)] == [
        "—",
        "p < 0.001",
        "p < 0.001",
        "p = 0.004",
        "p = 0.04",
        "p = 0.50",
        "p = 1.00",
    ]


def test_a_missing_value_is_a_dash_with_its_reason():
    """Hand-built: nobody waited at NS-WING in plan B (no replication served anyone there)."""
    row = _row(
        "NS-WING mean wait (min)",
        "NS-WING: mean wait",
        "minutes",
        welford(1, 2, 3),
        Welford(),
        "no one served at NS-WING",
        ("A", "B"),
    )
    assert (row["b"], row["difference"], row["p_value"]) == (None, None, None)
    assert row["note"] == "B: no one served at NS-WING"
    shown = text(row)
    assert shown == {"a": "2.0 min", "b": "—", "difference": "—", "p": "—", "note": "B: no one served at NS-WING"}
    assert "None" not in str(shown)


def test_shares_as_percentages_and_exact_differences_said_so():
    row = _row(
        "planned_units_on_time",
        "Planned units on time",
        "share",
        welford(0.25, 0.25),
        welford(1.0, 1.0),
        "",
        ("A", "B"),
    )
    assert row["p_value"] == 0.0 and row["significant"]  # the JSON keeps its figures
    shown = text(row)
    assert (shown["a"], shown["b"], shown["difference"], shown["p"]) == ("25.0%", "100.0%", "+75.0 pp", "exact")
    assert "no variation across replications in either plan" in shown["note"]
    row = _row("x on-time share", "x: on time", "share", welford(0.2, 0.4, 0.3), welford(0.9, 1.0, 0.8), "", ("A", "B"))
    assert text(row)["p"] == "p = 0.002" and text(row)["difference"] == "+60.0 pp" and row["note"] is None
