"""No ``# type: ignore`` hides an error silently: each names its mypy code and says why."""

from __future__ import annotations

import re

from tests.conftest import ROOT

#: ``# type: ignore[code, …]`` followed by a comment giving the reason.
EXPLAINED = re.compile(r"# type: ignore\[[a-z-]+(, *[a-z-]+)*\] +# *\S")


def test_every_type_ignore_names_its_code_and_gives_a_reason():
    bare = []
    for path in sorted(ROOT.glob("**/*.py")):
        if {".venv", "build", "node_modules"} & set(path.parts):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "type: ignore" in line and not EXPLAINED.search(line) and path.name != "test_type_ignores.py":
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not bare, "type: ignore without a code and a reason:\n" + "\n".join(bare)
