"""The ``film`` command: the drill's demonstration film (示范录像片), MP4 or HTML, Chinese or English."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    err_console,
    load,
    session_for,
)
from supply.core.errors import InvalidArgumentError

if TYPE_CHECKING:
    from supply.core.timeline import Timeline


def register(app: typer.Typer) -> None:
    app.command("film")(film_cmd)


def film_cmd(
    scenario: ScenarioArg = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="drill.mp4 (H.264, 1280×720) or drill.html (an offline player).")
    ] = Path("drill.mp4"),
    replication: Annotated[
        str,
        typer.Option(
            "--replication",
            help="Which replication: median (by planned units on time), worst, or its number (1 to N).",
        ),
    ] = "median",
    from_live: Annotated[
        int | None, typer.Option("--from-live", help="The film of a live drill, from its recorded times.", min=1)
    ] = None,
    db: DbOpt = None,
    speed: Annotated[float, typer.Option("--speed", help="Simulated seconds per second of film.")] = 600.0,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
    fps: Annotated[float, typer.Option("--fps", help="MP4 frames per second.")] = 10.0,
    replications: ReplicationsOpt = None,
    seed: SeedOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """The drill's film: units on their routes, queueing, fed and refuelled, stock, disruptions, hour by hour."""
    from maps.film import FORMATS, write_film

    problems = []
    if out.suffix.lower() not in FORMATS:
        problems.append(f"-o {out}: the film is written as .mp4 or .html")
    if lang not in ("zh", "en"):
        problems.append(f"--lang must be zh or en, got {lang!r}")
    if not 0 < speed <= 86_400:
        problems.append(f"--speed must be between 0 and 86400 simulated seconds per second, got {speed:g}")
    if not 0.5 <= fps <= 60:
        problems.append(f"--fps must be between 0.5 and 60, got {fps:g}")
    if from_live is not None and scenario is not None:
        problems.append("give a SCENARIO or --from-live DRILL_ID, not both")
    if from_live is not None and (replication != "median" or replications is not None or seed is not None):
        problems.append("--replication, --replications and --seed choose a simulated replication: not with --from-live")
    if workers is not None and workers < 1:
        problems.append(f"--workers must be ≥ 1, got {workers}")
    choice: str | int = "median"
    try:
        from simulation.film import parse_replication

        choice = parse_replication(replication)
    except InvalidArgumentError as exc:
        problems.append(str(exc))
    for check in (lambda: check_size_options(replications, seed), lambda: check_output_paths(out=out)):
        try:
            check()
        except InvalidArgumentError as exc:
            problems.append(str(exc))
    if problems:
        raise InvalidArgumentError("; ".join(problems))
    workers = workers or min(2, os.cpu_count() or 1)
    if from_live is not None:
        timeline = _live(from_live, db)
    else:
        timeline = _simulated(scenario, choice, replications, seed, workers)
    with _bar("film") as progress:
        write_film(timeline, out, lang=lang, speed=speed, fps=fps, progress=progress, workers=workers)
    about = timeline.about
    what = (
        f"live drill {about.get('drill_id')}"
        if timeline.source == "live"
        else f"replication {about['index']} of {about['of']} ({about['choice']}): "
        f"planned units on time {about['on_time']} of {about['planned']}"
    )
    console().print(f"film written to {out} — {what}", soft_wrap=True)


def _simulated(
    scenario: Path | None, choice: str | int, replications: int | None, seed: int | None, workers: int
) -> Timeline:
    from simulation.film import film_timeline
    from simulation.spec import check_work, drill_spec
    from supply.core.settings import get_settings

    sc = load(scenario)
    check_work(drill_spec(sc), replications, get_settings().drill_work_limit, source=sc.source)
    with _bar("replications") as progress:
        return film_timeline(
            sc, replication=choice, replications=replications, seed=seed, workers=workers, progress=progress
        )


def _live(drill_id: int, db: str | None) -> Timeline:
    from supply.core.settings import get_settings
    from supply.drills.film import live_timeline

    with session_for(db) as session:
        return live_timeline(session, drill_id, get_settings().tz)


@contextmanager
def _bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr, as ``progress(done, total)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # no refresh thread: worker processes are forked while it runs
    with Progress(*columns, console=err_console(), transient=True, auto_refresh=False) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total, refresh=True)
