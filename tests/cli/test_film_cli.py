"""``jungong film``: the film of the built-in drill; bad input refused at once, every fault named."""

from __future__ import annotations

import pytest

from tests.db import run_cli

pytestmark = pytest.mark.slow


def test_film_of_the_median_replication(tmp_path):
    out = tmp_path / "drill.html"
    r = run_cli(tmp_path, "film", "-n", "3", "--lang", "en", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert f"film written to {out} — replication 2 of 3 (median): planned units on time" in r.stdout
    page = out.read_text("utf-8")
    assert "T-101 arrives at GZ-HUB" in page and "GZ-NS-BRIDGE closed" in page and "http" not in page.split("<svg")[0]


def test_bad_arguments_are_refused_all_at_once(tmp_path):
    r = run_cli(
        tmp_path, "film", "--replication", "best", "--lang", "fr", "--speed", "0", "--fps", "100", "-o", "x.avi"
    )
    assert r.returncode == 2
    err = " ".join(r.stderr.split())
    for words in (
        "-o x.avi: the film is written as .mp4 or .html",
        "--lang must be zh or en",
        "--speed must be",
        "--fps must be",
        "--replication must be median, worst or a replication number",
    ):
        assert words in err, err
    r = run_cli(tmp_path, "film", "--from-live", "1", "--replication", "worst", "-o", str(tmp_path / "f.html"))
    assert r.returncode == 2 and "not with --from-live" in r.stderr
    r = run_cli(tmp_path, "film", "--replication", "9", "-n", "3", "-o", str(tmp_path / "f.html"))
    assert r.returncode == 2 and "replications 1 to 3" in r.stderr
