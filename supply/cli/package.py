"""The ``package`` command: a drill's "1+1+1+1+N" as one offline folder or zip (see :mod:`supply.package`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supply.cli.common import (
    DbOpt,
    ReplicationsOpt,
    ScenarioArg,
    SeedOpt,
    WorkersOpt,
    check_output_paths,
    check_size_options,
    console,
    load,
    session_for,
)
from supply.core.errors import InvalidArgumentError

LangOpt = Annotated[str, typer.Option("--lang", help="zh (Chinese, the English beside it) or en.")]


def register(app: typer.Typer) -> None:
    app.command("package")(package_cmd)


def package_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="The package's folder, or a .zip file.")],
    scenario: ScenarioArg = None,
    from_live: Annotated[int | None, typer.Option("--from-live", help="A live drill's id (its record).", min=1)] = None,
    db: DbOpt = None,
    lang: LangOpt = "zh",
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
    speed: Annotated[
        float, typer.Option("--speed", help="The film's pace: simulated seconds per second of film.", min=1)
    ] = 600,
) -> None:
    """The drill's package: command organisation, procedure, action plan, film and teams, with report and map."""
    from supply.core.settings import get_settings
    from supply.package.build import live_package, simulated_package, write_package
    from supply.package.pages import check_lang

    problems = []
    if from_live is not None and scenario is not None:
        problems.append("give a SCENARIO or --from-live DRILL_ID, not both")
    if lang not in ("zh", "en"):
        problems.append(f"--lang '{lang}': expected zh or en")
    if workers is not None and workers < 1:
        problems.append(f"--workers must be ≥ 1, got {workers}")
    if out.exists() and not out.is_dir() and out.suffix.lower() != ".zip":
        problems.append(f"-o {out}: exists and is not a folder (give a folder, or a name ending in .zip)")
    if problems:
        raise InvalidArgumentError("; ".join(problems))
    check_lang(lang)
    check_size_options(replications, seed)
    if out.suffix.lower() == ".zip":
        check_output_paths(out=out)
    elif not (out.parent if str(out.parent) else Path(".")).is_dir():
        msg = f"-o {out}: folder {out.parent} does not exist"
        raise InvalidArgumentError(msg)
    settings = get_settings()
    if from_live is not None:
        from supply.drills.chain import get_drill

        with session_for(db) as session:
            pkg = live_package(
                session,
                get_drill(session, from_live),
                settings.tz,
                settings.scenarios_dir / "drills",
                lang=lang,
                replications=replications,
                seed=seed,
                workers=workers or 1,
                speed=speed,
            )
    else:
        from simulation.spec import check_work, drill_spec

        sc = load(scenario)
        check_work(drill_spec(sc), replications, settings.drill_work_limit, source=sc.source)
        pkg = simulated_package(sc, lang=lang, replications=replications, seed=seed, workers=workers or 1, speed=speed)
    write_package(pkg, out)
    console().print(f"package written to {out} (open index.html)", soft_wrap=True)
