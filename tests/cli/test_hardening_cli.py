"""Probe 10: every CLI failure is a message and exit 2, checked before any simulation runs; a fuzz test.

Each case used to print a traceback (exit 1), run a whole simulation first, or create a database.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from supply.cli import app
from tests.conftest import GUANGZHOU, ROOT, write
from tests.db import cli_env

runner = CliRunner()
BASE = f'[scenario]\nextends = "{GUANGZHOU.as_posix()}"\nname = "x"\n'
DRILL = BASE + '[drill]\nhours = 2\n[[drill.units]]\ncode = "A"\nheadcount = 10\nsite = "GZ-RAIL"\narrive = 5\n'


def fails_cleanly(args: list[str], *words: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (args, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for word in words:
        assert word in result.output, (args, result.output)
    return result.output


def test_crafted_drill_files_exit_2(tmp_path):
    nested = write(tmp_path, BASE + "[x]\ny = " + "[" * 500 + "]" * 500 + "\n", "nested.toml")
    fails_cleanly(["drill", str(nested)], "nested too deeply")
    inf = write(tmp_path, DRILL.replace("hours = 2", "hours = inf"), "inf.toml")
    fails_cleanly(["drill", str(inf)], "drill.hours", "finite")
    nul = write(tmp_path, DRILL.replace(f'extends = "{GUANGZHOU.as_posix()}"', 'extends = "a\\u0000b"'), "nul.toml")
    fails_cleanly(["drill", str(nul)], "scenario.extends", "U+0000")
    huge = write(tmp_path, DRILL.replace("hours = 2", "hours = 2\nreplications = 1000000000"), "huge.toml")
    fails_cleanly(["drill", str(huge)], "drill.replications")
    big_text = DRILL.replace("headcount = 10", "headcount = 90000")
    big_text = big_text.replace("hours = 2", "hours = 2\nreplications = 9000")
    big = write(tmp_path, big_text, "big.toml")
    fails_cleanly(["drill", str(big)], "too large to simulate", "limit")
    teams = write(
        tmp_path, DRILL + '[[teams]]\ncode = "T"\nstation = "NOPE"\nkind = "water"\nheadcount = 1\n', "t.toml"
    )
    fails_cleanly(["drill", str(teams)], "teams[0].station")
    fails_cleanly(["plan", str(teams)], "teams[0].station")


def test_bad_options_and_output_paths_exit_2_before_simulating(tmp_path):
    fails_cleanly(["drill", "--seed", "-5"], "--seed")
    fails_cleanly(["drill", "-n", "1000000000"], "--replications")
    missing = tmp_path / "no-such-folder"
    fails_cleanly(["drill", "--report", str(missing / "r.html")], "--report", "does not exist")
    fails_cleanly(["drill", "--map", str(missing / "m.html")], "--map", "does not exist")
    fails_cleanly(["plan", "-o", str(missing / "p.html")], "--out", "does not exist")


@pytest.mark.slow
def test_review_on_an_uninitialised_database_creates_nothing(tmp_path):
    """`jungong review 1` without --db, as the README shows it, printed a traceback and created a database."""
    env = cli_env(tmp_path)
    for args in (["review", "1"], ["users", "list"], ["users", "revoke", "x"], ["drill", "--from-live", "1"]):
        r = subprocess.run(
            [sys.executable, "-m", "supply.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 2 and "jungong db init" in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
    assert not (tmp_path / "data").exists()


def test_unreachable_postgres_exit_2():
    r = fails_cleanly(["db", "init", "--db", "postgresql://nobody@127.0.0.1:1/x"], "cannot reach the database")
    assert "Traceback" not in r


def test_users_list_and_revoke(tmp_path, tiny_path):
    db = f"sqlite:///{tmp_path / 'u.db'}"
    fails_cleanly(["users", "add", "wang", "--db", db], "run `jungong db init`")  # only `db init` creates a database
    assert not (tmp_path / "u.db").exists()
    assert runner.invoke(app, ["db", "init", str(tiny_path), "--db", db]).exit_code == 0
    added = runner.invoke(app, ["users", "add", "wang", "--role", "officer", "--db", db])
    assert added.exit_code == 0 and "expires" in added.output
    token = added.output.strip().splitlines()[-1]
    listed = runner.invoke(app, ["users", "list", "--db", db])
    assert listed.exit_code == 0 and "wang\tofficer\texpires" in listed.output and token not in listed.output
    assert runner.invoke(app, ["users", "revoke", "wang", "--db", db]).exit_code == 0
    assert "wang\tofficer\trevoked" in runner.invoke(app, ["users", "list", "--db", db]).output
    fails_cleanly(["users", "revoke", "nobody", "--db", db], "unknown user 'nobody'")


# --- fuzz: TOML documents built from scenario-like keys and hostile values -------------------------
KEYS = st.sampled_from(
    [
        "scenario",
        "stations",
        "sites",
        "links",
        "drill",
        "teams",
        "extends",
        "graphml",
        "hours",
        "code",
        "tier",
        "lat",
        "lon",
        "units",
        "a",
        "b",
        "minutes",
        "name",
        "headcount",
    ]
)
SCALARS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=25
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=6)


def _value(v: object) -> str:
    """A TOML value, inline (hypothesis's documents may still be invalid TOML: that is a case too)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(v), repr(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def _toml(doc: dict) -> str:
    return "".join(f"{k} = {_value(v)}\n" for k, v in doc.items())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=DOCUMENTS, nesting=st.integers(min_value=0, max_value=600))
def test_fuzz_the_scenario_parser(tmp_path, doc, nesting):
    """Whatever the document, `jungong drill` answers with a message and exit 2, never a traceback."""
    text = _toml(doc)
    if nesting:
        text += "\n[deep]\nv = " + "[" * nesting + "1" + "]" * nesting + "\n"
    path = Path(tmp_path) / "fuzz.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    result = runner.invoke(app, ["drill", str(path), "-n", "1", "--workers", "1"])
    assert result.exit_code == 2, (text[:500], result.output, repr(result.exception))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "error:" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("text", ["\u0000", "a = 1\u0000", "[[[", "x = " + "{a=" * 300 + "1" + "}" * 300])
def test_fuzz_seeds_that_broke_the_parser(tmp_path, text):
    path = Path(tmp_path) / "seed.toml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["drill", str(path)])
    assert result.exit_code == 2 and "error:" in result.output, (result.output, repr(result.exception))
