"""The README's quickstart is run by a test, so it cannot rot."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^```bash\n(.+?)\n```", text, flags=re.M)


def test_readme_opens_with_two_commands():
    first, second = readme_commands()[:2]
    assert first.startswith("pip install -e . && jungong ")
    assert 'pip install -e ".[dev]" && ' in second
    assert second.endswith(" && python -m pytest")
    assert "apt-get install -y chromium" in second  # the browser tests' Chromium, on a fresh machine
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "n==2" in ci  # .ci/run executes the README's second command, verbatim
    assert 'python3 -m venv "$venv"' in ci and 'source "$venv/bin/activate"' in ci  # in a fresh venv of its own


def test_the_test_command_checks_style_layers_and_types_before_the_tests():
    steps = [step.strip() for step in readme_commands()[1].split("&&")]
    checks = ["ruff check .", "ruff format --check .", "lint-imports", "mypy", "python -m pytest"]
    assert steps[-len(checks) :] == checks
    install = steps.index('pip install -e ".[dev]"')
    assert install < len(steps) - len(checks)  # the tools come from the dev extra, installed first
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dev = project["optional-dependencies"]["dev"]
    names = {re.split(r"[<>=\[ ]", requirement, maxsplit=1)[0] for requirement in dev}
    assert {"ruff", "import-linter", "mypy", "pytest"} <= names


@pytest.mark.slow
def test_first_command_runs_the_main_job(tmp_path):
    first = readme_commands()[0]
    job = first.split("&&", 1)[1].strip()
    args = shlex.split(job)
    assert args[0] == "jungong"
    env = {**os.environ, "JUNGONG_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "supply.cli", *args[1:]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "service level" in proc.stdout
    # the headline leads with the planned units, each late one named with its cause
    assert proc.stdout.index("Planned units on time:") < proc.stdout.index("service level")
    for option in ("--report", "--map"):
        if option in args:
            written = tmp_path / args[args.index(option) + 1]
            assert written.stat().st_size > 10_000
            fetches = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=[\"']https?://", written.read_text("utf-8"))
            assert not fetches, f"{written.name} fetches from the network: {fetches}"
