"""Gather a drill's "1+1+1+1+N" and write it as one folder (or a zip) a commander opens offline.

From a **scenario** (a simulated drill): the command organisation of its ``[command]`` (the joint
command post's members, :mod:`supply.core.scenario_command`) over a station command for every station
that serves a planned unit or owns a team, over its ``[[teams]]`` (seats it names none for: to be
appointed), the
default procedure with its planned times, ``jungong plan``'s document, the teams with what the
action plan has each do, and ``jungong drill --report/--map``'s report and map.

From a **live drill** (the database): its members and orders, its procedure with planned and
actual times, the action plan it started from, its teams with their status log and dispatch
windows, the after-action review, and the report and map of its scenario simulated.

The film (:mod:`maps.film`, MP4 and HTML) is of the simulated drill's median replication
(:func:`simulation.film.film_timeline`), or of the live drill's record
(:func:`supply.drills.film.live_timeline`), at ``speed`` simulated seconds per second of film.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from maps.film import DEFAULT_SPEED
from supply.core.scenario import Scenario
from supply.core.timeline import Timeline
from supply.package.pages import Package, check_lang, did_line, pages

if TYPE_CHECKING:
    from sqlmodel import Session

    from supply.drills.models import Drill

Progress = Callable[[int, int], None]
#: The parts a package holds, in the seed's order ("1+1+1+1+N"), then the extras.
PARTS = ("organisation.html", "procedure.html", "plan.html", "film.mp4", "film.html", "teams.html")
EXTRAS = ("report.html", "map.html")


def _simulate(scenario: Scenario, replications: int | None, seed: int | None, workers: int) -> dict[str, str | bytes]:
    """The drill report and the drill map of ``scenario``'s drill (``jungong drill --report/--map``)."""
    from maps.drill import drill_map_html
    from simulation.report import render
    from simulation.runner import run_drill

    result = run_drill(scenario, replications=replications, seed=seed, workers=workers).as_dict()
    return {"report.html": render(result), "map.html": drill_map_html(scenario, result)}


def film_documents(timeline: Timeline, lang: str, speed: float, workers: int = 1) -> dict[str, str | bytes]:
    """The film as ``film.mp4`` and ``film.html`` (their bytes)."""
    from maps.film import write_film

    with tempfile.TemporaryDirectory() as tmp:
        return {
            name: write_film(timeline, Path(tmp) / name, lang=lang, speed=speed, workers=workers).read_bytes()
            for name in ("film.mp4", "film.html")
        }


def _planned_steps(pairs: list[tuple[str, float]], at: Callable[[float], str]) -> list[dict]:
    out, total = [], 0.0
    for step, target in pairs:
        total += target
        out.append({"step": step, "target_minutes": target, "planned": at(total)})
    return out


def _serving(plan: dict) -> dict[str, list[str]]:
    """The units the action plan has each station serve (its scheduled units), by station."""
    out: dict[str, list[str]] = {}
    for u in plan.get("units", []):
        if u.get("station"):
            out.setdefault(u["station"], []).append(u["code"])
    return out


def scenario_package(scenario: Scenario, plan: dict, lang: str = "zh") -> Package:
    """The package's own data from ``scenario`` and its action ``plan`` (:func:`simulation.action_plan.scenario_plan`):
    its ``[command]``, its teams with their leaders and what the plan has each do, the stations serving a unit;
    no documents yet."""
    from simulation.action_plan import clock
    from supply.core.scenario_command import command_from_scenario
    from supply.core.scenario_teams import team_leaders, teams_from_scenario
    from supply.drills.procedure import DEFAULT_PROCEDURE

    check_lang(lang)
    command = command_from_scenario(scenario)
    leaders = team_leaders(scenario)
    did: dict[str, list[str]] = {}
    for d in plan["departures"]:
        did.setdefault(d["team"], []).append(did_line(lang, d["action"], d["unit"], clock(d["minute"]), d["to"]))
    return Package(
        lang=lang,
        title=scenario.scenario.name,
        source=Path(scenario.source).name,  # the file, not the builder's folder
        live=False,
        start="D1 00:00",
        stations={s.code: s.name for s in scenario.stations},
        steps=_planned_steps(list(DEFAULT_PROCEDURE), clock),
        teams=[
            {**t.model_dump(), "leader": leaders.get(t.code), "did": did.get(t.code, [])}
            for t in teams_from_scenario(scenario)
        ],
        members=[{"user": m.label, "role": m.role, "station": m.station, "team": None} for m in command.members],
        serving=_serving(plan),
        command_name=command.name,
    )


def simulated_package(
    scenario: Scenario,
    *,
    lang: str = "zh",
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    speed: float = DEFAULT_SPEED,
) -> Package:
    """The package of ``scenario``'s drill, simulated (the film: its median replication)."""
    from simulation.action_plan import plan_html, scenario_plan
    from simulation.film import film_timeline

    check_lang(lang)
    plan = scenario_plan(scenario, replications=replications, seed=seed)
    pkg = scenario_package(scenario, plan, lang)
    docs = _simulate(scenario, replications, seed, workers)
    docs["plan.html"] = plan_html(plan)
    timeline = film_timeline(scenario, replications=replications, seed=seed, workers=workers)
    docs.update(film_documents(timeline, lang, speed, workers))
    pkg.documents = docs
    return pkg


def live_package(
    session: Session,
    drill: Drill,
    tz: ZoneInfo,
    base_dir: Path,
    *,
    lang: str = "zh",
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    speed: float = DEFAULT_SPEED,
) -> Package:
    """The package of a live drill: its record from the database, its scenario simulated for the report and map."""
    from simulation.action_plan import plan_html
    from simulation.review_report import review_html
    from supply.drills.chain import members
    from supply.drills.film import live_timeline
    from supply.drills.models import team_code
    from supply.drills.orders import visible_orders
    from supply.drills.procedure import procedure
    from supply.drills.review import drill_review
    from supply.drills.teams import drill_view, team_assignments, team_log
    from supply.service.auth import Caller
    from supply.service.models import id_of

    check_lang(lang)
    drill_id = id_of(drill)

    def local(at: datetime | None) -> str | None:
        return None if at is None else at.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    start = drill.start_at
    scenario = Scenario.from_dict(dict(drill.scenario), source=drill.scenario_source, base_dir=base_dir)
    # the report and map at the size and seed of the plan the drill started from, unless told otherwise
    replications = replications or drill.plan.get("replications")
    seed = drill.plan.get("seed") if seed is None else seed
    docs = _simulate(scenario, replications, seed, workers)
    docs["plan.html"] = plan_html(drill.plan, start=start.astimezone(tz))
    docs["review.html"] = review_html(drill_review(session, drill, tz))
    docs.update(film_documents(live_timeline(session, drill_id, tz), lang, speed, workers))
    progress = procedure(session, drill)
    steps = _planned_steps(
        [(s.step, s.target_minutes) for s in progress], lambda m: local(start + timedelta(minutes=m)) or ""
    )
    for row, s in zip(steps, progress, strict=True):
        row.update(actual=local(s.done_at), actual_minutes=s.actual_minutes, over=s.over_target)
    people = [m._asdict() for m in members(session, drill_id)]
    leaders = {m["team"]: m["user"] for m in people if m["role"] == "team_leader"}
    staff = Caller(id=0, name="package", role="admin")  # every order of the drill
    orders = [
        {
            "to": o.station or team_code(o.team or ""),
            "text": o.text,
            "status": o.status,
            "issued_by": o.issued_by,
            "issued_at": local(o.issued_at) or "",
        }
        for o in visible_orders(session, drill_id, staff)
    ]
    teams = []
    for t in drill_view(session, drill_id):
        code = team_code(t.code)
        did = [f"{local(e.at)} → {e.to_status}" + (f" ({e.note})" if e.note else "") for e in team_log(session, t.code)]
        did += [
            f"{local(a.start_at)}–{local(a.end_at)} dispatch {a.dispatch_id}" for a in team_assignments(session, t.code)
        ]
        teams.append(
            {
                "code": code,
                "name": t.name,
                "kind": t.kind,
                "station": t.station,
                "headcount": t.headcount,
                "vehicles": t.vehicles,
                "leader": leaders.get(code),
                "did": did,
            }
        )
    return Package(
        lang=lang,
        title=drill.name,
        source=f"drill {drill_id} ({Path(drill.scenario_source).name})",
        live=True,
        start=local(start) or "",
        stations={s.code: s.name for s in scenario.stations},
        steps=steps,
        teams=teams,
        members=people,
        serving=_serving(drill.plan),
        orders=orders,
        documents=docs,
    )


def write_package(pkg: Package, out: Path) -> Path:
    """Write the package (in its language) as the folder ``out``, or as a zip of one ``drill-package/`` folder if
    ``out`` ends in ``.zip``; returns ``out``."""
    if out.suffix.lower() == ".zip":
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_package(pkg, Path(tmp) / "drill-package")
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
                for f in sorted(folder.iterdir()):
                    z.write(f, f"drill-package/{f.name}")
        return out
    if out.exists() and not out.is_dir():
        msg = f"-o {out}: exists and is not a folder"
        raise FileExistsError(msg)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in {**pkg.documents, **pages(pkg)}.items():
        target = out / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return out


__all__ = ["EXTRAS", "PARTS", "live_package", "scenario_package", "simulated_package", "write_package"]
