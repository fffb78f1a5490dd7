"""Simulated drills and ``improve`` run in the background, for the API and the console alike.

``jungong drill`` and ``jungong improve`` as analyses of kind ``drill`` and ``improve``
(:mod:`supply.core.drill_analyses`): :func:`start` checks the caller's role (planners,
commanders and admins: a simulation writes nothing to the books, but it is the planner's tool and
costs the server minutes), resolves the scenario — a built-in drill by name or an uploaded TOML
text, validated by the same loaders as the CLI, so every fault comes back at once with its key
path — refuses work above ``JUNGONG_DRILL_WORK_LIMIT`` (the drill's estimate; ``improve``'s over
all its steps) and hands :func:`run_simulation` to the analyses' job pool. The job records its
progress as it goes and stores the JSON ``jungong drill --json`` / ``jungong improve --json``
print.
"""

from __future__ import annotations

from typing import Any

from supply.api.analysis_jobs import run_stored, throttled
from supply.api.drill_jobs import owner_alive, process_id
from supply.core.analyses import AnalysisStore
from supply.core.drill_analyses import DEFAULT_REPLICATIONS, DEFAULT_STEPS, SimulationArgs, content_hash
from supply.core.errors import ForbiddenError, InvalidArgumentError, UnknownCodeError
from supply.core.scenario import Scenario, load_scenario, scenario_from_text
from supply.core.settings import Settings
from supply.service.auth import Caller, Role

#: Who may run simulated drills and ``improve``.
SIMULATORS = frozenset({Role.planner, Role.commander, Role.admin})
#: The built-in scenario whose ``[drill]`` is the default drill (``scenarios/guangzhou.toml``).
DEFAULT_DRILL = "guangzhou"
#: Keys of the drill's JSON left out of a stored result: the report's plotting series.
PLOT_KEYS = ("series", "minutes_to_fed_histogram")
#: The network key of simulations: a drill scenario carries its own network (its content is hashed).
NO_NETWORK = "drill"


def built_in(settings: Settings) -> list[str]:
    """The built-in drills by name: the default scenario's, then ``scenarios/drills/*.toml``."""
    return [DEFAULT_DRILL, *sorted(p.stem for p in (settings.scenarios_dir / "drills").glob("*.toml"))]


def scenario_for(settings: Settings, name: str | None, text: str | None, source: str = "scenario_toml") -> Scenario:
    """A built-in drill by ``name``, or ``text`` (TOML; ``extends`` and ``graphml`` only within the
    scenarios folder), validated: :class:`~supply.core.errors.ScenarioError` lists every fault."""
    if name is not None:
        if name == DEFAULT_DRILL:
            return load_scenario(settings.default_scenario)
        path = settings.scenarios_dir / "drills" / f"{name}.toml"
        if name not in built_in(settings) or not path.is_file():
            raise UnknownCodeError("drill scenario", name, built_in(settings))
        return load_scenario(path)
    folder = settings.scenarios_dir / "drills"
    return scenario_from_text(text or "", source=source, base_dir=folder, confine=settings.scenarios_dir)


def start(
    runtime: Any,
    user: Caller,
    kind: str,
    *,
    scenario: str | None = None,
    text: str | None = None,
    source: str = "scenario_toml",
    replications: int | None = None,
    seed: int | None = None,
    goal: float = 0.9,
    max_steps: int | None = None,
    drill: str | None = None,
) -> dict[str, Any]:
    """Start (or join, or find done) a simulated drill or an ``improve`` search; its state.

    403 for a role that may not simulate; 404 for an unknown built-in; 422 for a faulty scenario,
    with every fault, or for work above the limit; 429/503 over the analyses' caps."""
    from simulation.improve_work import check_improve_work
    from simulation.spec import check_work, drill_spec

    if user.role not in SIMULATORS:
        raise ForbiddenError.worded(
            "role '{role}' may not run simulated drills or improve: planners, commanders and admins may",
            role=user.role,
        )
    if (scenario is None) == (text is None):
        msg = "give exactly one of 'scenario' (a built-in drill's name) or 'scenario_toml' (its text)"
        raise InvalidArgumentError(msg)
    settings = runtime.settings
    sc = scenario_for(settings, scenario, text, source)
    spec = drill_spec(sc)
    reps = replications or min(spec.replications, DEFAULT_REPLICATIONS)
    steps = max_steps or DEFAULT_STEPS
    args = SimulationArgs(
        kind,
        scenario,
        content_hash(sc.model_dump(mode="json")),
        reps,
        spec.seed if seed is None else seed,
        goal if kind == "improve" else None,
        steps if kind == "improve" else None,
        drill if kind == "improve" else None,
    )
    if kind == "drill":
        check_work(spec, reps, settings.drill_work_limit, source=sc.source)
    else:
        check_improve_work(spec, reps, steps, settings.drill_work_limit, source=sc.source)
    store: AnalysisStore = runtime.analyses
    state, new = store.start(
        args,
        NO_NETWORK,
        user=user.name,
        owner=process_id(),
        per_user=settings.analysis_jobs_per_user,
        overall=settings.analysis_jobs,
        alive=owner_alive,
        scenario_text=text,
    )
    if new:
        folder, run = str(store.folder), state["run"]
        runtime.analysis_jobs.submit_job(
            store, state, run_simulation, folder, store.keep, state["id"], run, sc, args.as_dict()
        )
    return state


def improve_drill(
    runtime: Any, user: Caller, drill_id: str, *, goal: float = 0.9, max_steps: int | None = None
) -> dict:
    """Start ``improve`` on the scenario, replications and seed of the simulated drill ``drill_id``."""
    store: AnalysisStore = runtime.analyses
    found = store.get(drill_id)
    if found["kind"] != "drill":
        msg = f"drill: analysis {drill_id} is a {found['kind']} analysis, not a simulated drill"
        raise InvalidArgumentError(msg)
    args = found["arguments"]
    text = store.scenario_text(drill_id) if args["uploaded"] else None
    return start(
        runtime,
        user,
        "improve",
        scenario=args["scenario"],
        text=text,
        replications=args["replications"],
        seed=args["seed"],
        goal=goal,
        max_steps=max_steps,
        drill=drill_id,
    )


def run_simulation(folder: str, keep: int, analysis_id: str, run: str, scenario: Scenario, arguments: dict) -> str:
    """Run one simulated drill or ``improve`` (in a worker process) and store its JSON; its final status."""

    def compute(store: AnalysisStore) -> tuple[dict, None]:
        progress = throttled(store, analysis_id, run)
        reps, seed = arguments["replications"], arguments["seed"]
        if arguments["kind"] == "drill":
            from simulation.runner import run_drill

            stats = run_drill(scenario, replications=reps, seed=seed, workers=1, progress=progress)
            return {k: v for k, v in stats.as_dict().items() if k not in PLOT_KEYS}, None
        from simulation.improve import improve

        steps = arguments["max_steps"]
        result, _ = improve(
            scenario, goal=arguments["goal"], max_steps=steps, replications=reps, seed=seed, progress=progress
        )
        return result, None

    return run_stored(folder, keep, analysis_id, run, compute)
