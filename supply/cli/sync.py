"""Sync commands: bundles by file (air gap, USB), keys and trust, conflicts.

``jungong sync export --db URL -o FILE [--for NODE]`` writes what NODE has not acknowledged;
``jungong sync import --db URL FILE [--json]`` applies a bundle (refused, exit 2, when unsigned,
tampered or untrusted, or when any record lies outside its origin's authority or holds a value the
API refuses: nothing of it is applied); ``sync key`` / ``sync trust`` exchange public keys;
``sync conflicts`` lists the changes kept as rejected, with the version that stands.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from supply.cli.common import DbOpt, JsonOpt, check_output_paths, echo_json, session_for
from supply.core.errors import InvalidArgumentError

sync_app = typer.Typer(help="Sync the centre and station nodes: bundles, keys, conflicts.", no_args_is_help=True)

OutOpt = Annotated[Path, typer.Option("-o", "--output", help="File to write.")]


def register(app: typer.Typer) -> None:
    app.add_typer(sync_app, name="sync")


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        msg = f"{path}: cannot read the {what} ({exc.strerror})"
        raise InvalidArgumentError(msg) from None


@sync_app.command("export")
def export_cmd(
    output: OutOpt,
    db: DbOpt = None,
    for_node: Annotated[
        str | None, typer.Option("--for", help="Only what this node (or 'centre') has not acknowledged.")
    ] = None,
) -> None:
    """Write a signed, compressed bundle of the records the other side has not acknowledged."""
    import supply.drills.models  # noqa: F401 - registers the drills' synced tables
    from supply.service.sync import export_bundle

    check_output_paths(output=output)
    with session_for(db, write=True) as session:
        data = export_bundle(session, for_node=for_node)
    output.write_bytes(data)
    typer.echo(f"bundle written to {output}: {len(data)} bytes (compressed, signed)")


@sync_app.command("import")
def import_cmd(
    bundle: Annotated[Path, typer.Argument(help="A bundle written by `jungong sync export`.")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply a bundle: records applied, records already held (skipped), conflicts found."""
    import supply.drills.models  # noqa: F401 - registers the drills' synced tables
    from supply.service.sync import import_bundle

    data = _read(bundle, "bundle")
    with session_for(db, write=True) as session:
        report = import_bundle(session, data)
    if as_json:
        echo_json(report.as_dict())
        return
    typer.echo(
        f"from {report.origin}: {report.applied} records applied, {report.skipped} already held (skipped), "
        f"{_count(len(report.conflicts), 'conflict')}, {_count(len(report.alerts), 'stock alert')}"
    )
    for c in report.conflicts:
        typer.echo(f"conflict: {describe(c.as_dict())}")
    for a in report.alerts:
        typer.echo(f"alert: {alert_line(a)}")


@sync_app.command("key")
def key_cmd(output: OutOpt, db: DbOpt = None) -> None:
    """Export this database's public key (give it to the other side's `sync trust`)."""
    from supply.service.sync import node_code, public_key_pem

    check_output_paths(output=output)
    with session_for(db, write=True) as session:
        pem, node = public_key_pem(session), node_code(session)
    output.write_bytes(pem)
    typer.echo(f"public key of '{node}' written to {output}")


@sync_app.command("trust")
def trust_cmd(
    keyfile: Annotated[Path, typer.Argument(help="A public key written by `jungong sync key`.")],
    node: Annotated[str, typer.Option("--node", help="The node whose key it is ('centre' for the centre).")],
    db: DbOpt = None,
) -> None:
    """Trust a node's public key: its signed bundles are accepted from now on."""
    from supply.service.sync import trust_key

    pem = _read(keyfile, "key file")
    with session_for(db, write=True) as session:
        trust_key(session, node, pem)
    typer.echo(f"'{node}' trusted: bundles signed with the key in {keyfile} are accepted")


@sync_app.command("conflicts")
def conflicts_cmd(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every change kept as rejected because a concurrent one stands: both versions, who and when."""
    import supply.drills.models  # noqa: F401 - registers the drills' synced tables
    from supply.service.sync import list_conflicts

    with session_for(db) as session:
        rows = [c.as_dict() for c in list_conflicts(session)]
    if as_json:
        echo_json(rows)
        return
    for c in rows:
        typer.echo(describe(c))
    typer.echo(f"{_count(len(rows), 'conflict')} (changes kept as rejected, each beside the version that stands)")


def alert_line(a: dict) -> str:
    """A stock alert of an import in one line: the book, what is available, the movements that drew on it."""
    book = "exercise" if a["exercise"] else "real"
    return (
        f"{a['station']}/{a['item']} ({book} book) available {a['available']:g} after sync "
        f"(on hand minus reserved); movements: {', '.join(a['movements'])}"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _when(at: str) -> str:
    """A stored UTC time as the operator reads it: minutes, in the configured zone, with the zone named."""
    from supply.core.settings import get_settings

    settings = get_settings()
    return f"{datetime.fromisoformat(at).astimezone(settings.tz):%Y-%m-%d %H:%M} ({settings.timezone})"


def describe(c: dict) -> str:
    """A conflict in one line: the record, the version that stands and the one rejected."""
    r, s = c["rejected"], c["standing"]
    stands = f"{s['to_status']} by {s['actor']}@{s['origin']} at {_when(s['at'])}" if s else "nothing"
    return (
        f"{c['table']} {c['record']} (owner {c['owner']}): stands {stands}; "
        f"rejected {r['to_status']} by {r['actor']}@{r['origin']} at {_when(r['at'])}"
        + (f" (+{c['later_rejected']} later changes on it)" if c["later_rejected"] else "")
    )
