"""``jungong sync run``: a node syncs with the centre over HTTP — once, or whenever it answers (``--watch``).

Registered on the ``sync`` group of :mod:`supply.cli.sync`; the rounds, the backoff and the HTTP
calls are :mod:`supply.service.sync.online`'s.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from supply.cli.common import DbOpt, JsonOpt, database_url, echo_json
from supply.cli.sync import alert_line, describe

if TYPE_CHECKING:  # the database stack loads only when the command runs
    from supply.service.sync.online import RoundReport


def register(sync_app: typer.Typer) -> None:
    """Add ``run`` to the ``sync`` group."""
    sync_app.command("run")(run_cmd)


def run_cmd(
    centre: Annotated[str, typer.Option("--with", help="The centre's address: http://host:port.")],
    token: Annotated[
        str,
        typer.Option(
            "--token",
            envvar="JUNGONG_SYNC_TOKEN",
            help="The node user's token (or JUNGONG_SYNC_TOKEN).",
            show_default=False,
        ),
    ],
    db: DbOpt = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep syncing: a round every --interval s whenever the centre answers.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1, max=86400, help="Seconds between rounds with --watch.")
    ] = 60,
    attempts: Annotated[
        int, typer.Option("--attempts", min=1, max=100, help="Attempts per round before giving up (not with --watch).")
    ] = 5,
    delay: Annotated[float, typer.Option("--delay", min=0.1, max=600, help="First retry after this many seconds.")] = 1,
    max_delay: Annotated[
        float, typer.Option("--max-delay", min=0.1, max=3600, help="Retries back off, doubling, up to this.")
    ] = 60,
    as_json: JsonOpt = False,
) -> None:
    """Push this node's records to the centre, then pull what it has not got; retry with backoff."""
    import supply.drills.models  # noqa: F401 - registers the drills' synced tables
    from supply.service.db import existing_engine
    from supply.service.migrate import check_initialised
    from supply.service.sync.online import Centre, keep_syncing

    with closing(Centre(centre, token)) as client:  # its address and token checked before the database opens
        engine = existing_engine(database_url(db))
        try:
            check_initialised(engine)
            with _stop_on_signals() as stop:
                stopped = keep_syncing(
                    engine,
                    client,
                    watch=watch,
                    interval=interval,
                    attempts=attempts,
                    delay=delay,
                    max_delay=max_delay,
                    say=_say,
                    done=lambda r: _report(r, centre, as_json=as_json),
                    stop=stop,
                )
            if stopped:
                _say("stopped")
        except KeyboardInterrupt:  # a second Ctrl-C: cut the round short (it is simply run again next time)
            _say("stopped during a round")
        finally:
            engine.dispose()


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by the first SIGINT (Ctrl-C) or SIGTERM (a service manager's stop): the sync stops
    waiting at once, after the round under way. A second SIGINT interrupts that round too."""
    stop = threading.Event()

    def first(signum: int, frame: FrameType | None) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    before = {sig: signal.signal(sig, first) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def _say(line: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    typer.echo(f"{stamp} UTC sync: {line}", err=True)


def _report(done: RoundReport, centre: str, *, as_json: bool) -> None:
    if as_json:
        echo_json(done.as_dict())
        return
    pushed, pulled, tries = done.pushed, done.pulled, done.attempts
    typer.echo(
        f"synced with {centre} (attempt {tries}): "
        f"pushed — the centre applied {pushed['applied']}, skipped {pushed['skipped']} it already had, "
        f"{len(pushed['conflicts'])} conflicts; "
        f"pulled — this node applied {pulled['applied']}, skipped {pulled['skipped']}, "
        f"{len(pulled['conflicts'])} conflicts"
    )
    for side, report in (("at the centre", pushed), ("here", pulled)):
        for c in report["conflicts"]:
            typer.echo(f"conflict {side}: {describe(c)}")
        for a in report.get("alerts", []):
            typer.echo(f"alert {side}: {alert_line(a)}")
