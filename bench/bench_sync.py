"""Benchmark importing a sync bundle of 100,000 movements into a station node's SQLite database.

Builds a centre and the node of GZ-HUB (SQLite files in a temporary folder, the built-in
Guangzhou scenario, keys trusted both ways), appends N receipts and issues to the centre's ledger
(running balances kept, as the ledger does), exports the bundle for the node and imports it there,
timing each step. Printed: bundle size, export and import seconds, movements imported per second
(movements in the bundle ÷ wall-clock seconds of the whole import: signature check, decompression,
uid look-ups, inserts, balance updates, merge rules, in one transaction, committed) against the
target; then the same again into the node that now holds the first batch (after the node's
acknowledgements reached the centre, so nothing is sent twice), to show how import cost grows
with the node's history; and whether the node's balances then reconcile with its ledger.

    python bench/bench_sync.py [--movements 100000]

Target (issue 14): ≥ 20,000 movements/s into SQLite.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = 20_000  # movements per second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--movements", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("JUNGONG_SYNC_PASSPHRASE", "bench passphrase")

    from sqlalchemy import func, insert, select

    import supply.drills.models  # noqa: F401 - registers the drills' synced tables
    from supply.core.scenario import load_scenario
    from supply.core.settings import get_settings
    from supply.drills.teams import sync_scenario_with_teams
    from supply.service import ledger
    from supply.service.db import make_engine, write_session
    from supply.service.migrate import upgrade
    from supply.service.models import Movement, new_uid, table_of
    from supply.service.reconcile import reconcile
    from supply.service.sync import export_bundle, import_bundle, public_key_pem, trust_key
    from supply.service.sync.merge import book_changes

    get_settings.cache_clear()
    scenario = get_settings().default_scenario
    sc, text = load_scenario(scenario), scenario.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        engines, keys = {}, {}
        for name, node in (("centre", None), ("node", "GZ-HUB")):
            engines[name] = engine = make_engine(f"sqlite:///{Path(tmp) / name}.db")
            upgrade(engine)
            with write_session(engine) as s:
                sync_scenario_with_teams(s, sc, text, node=node)
                keys[name] = public_key_pem(s)
                s.commit()
        with write_session(engines["centre"]) as s:
            trust_key(s, "GZ-HUB", keys["node"])
            s.commit()
        with write_session(engines["node"]) as s:
            trust_key(s, "centre", keys["centre"])
            s.commit()

        rng = random.Random(14)
        stations = [st.code for st in sc.stations]
        items = ["meals", "water_l", "diesel_l"]

        def append(first: int) -> None:
            """``args.movements`` receipts and issues on the centre's ledger, numbered from ``first``."""
            start = datetime(2030, 1, 1, tzinfo=UTC)
            rows = []
            for n in range(first, first + args.movements):
                qty = float(rng.randint(1, 50))
                receipt = n % 3 != 0
                rows.append(
                    {
                        "uid": new_uid(),
                        "origin": "centre",
                        "at": start + timedelta(seconds=n),
                        "kind": "receipt" if receipt else "issue",
                        "station": rng.choice(stations),
                        "item": rng.choice(items),
                        "exercise": False,
                        "quantity": qty,
                        "on_hand_delta": qty if receipt else -qty,
                        "reserved_delta": 0.0,
                        "reason": "bench",
                        "actor": "bench",
                    }
                )
            with write_session(engines["centre"]) as s:
                s.connection().execute(insert(table_of(Movement)), rows)
                # book_changes takes (station, item, exercise, on-hand Δ, reserved Δ, uid, lot, expires_on)
                keys = ("station", "item", "exercise", "on_hand_delta", "reserved_delta", "uid")
                ledger.apply(s, book_changes((*(r[k] for k in keys), "", None) for r in rows))
                s.commit()

        def round_trip() -> tuple[bytes, float, float, float, object]:
            """Centre → node (timed), then node → centre, which carries the node's acknowledgements."""
            t0 = time.perf_counter()
            with write_session(engines["centre"]) as s:
                bundle = export_bundle(s, for_node="GZ-HUB")
                s.commit()
            exported = time.perf_counter() - t0
            t0, c0 = time.perf_counter(), time.process_time()
            with write_session(engines["node"]) as s:
                report = import_bundle(s, bundle)
                s.commit()
            imported, cpu = time.perf_counter() - t0, time.process_time() - c0
            with write_session(engines["node"]) as s:
                back = export_bundle(s, for_node="centre")
                s.commit()
            with write_session(engines["centre"]) as s:
                import_bundle(s, back)
                s.commit()
            return bundle, exported, imported, cpu, report

        append(0)
        bundle, exported, imported, cpu, report = round_trip()
        append(args.movements)
        _, _, again, _, report2 = round_trip()
        with write_session(engines["node"]) as s:
            held = s.connection().execute(select(func.count()).select_from(table_of(Movement))).scalar_one()
            _, mismatches = reconcile(s)
        for engine in engines.values():
            engine.dispose()

    n = args.movements
    rate = n / imported
    print(f"bundle of {n:,} movements (+ the centre's other unacknowledged records): {len(bundle):,} bytes")
    print(f"export (lock, read, encode, compress, sign): {exported:.2f} s")
    print(f"import (verify, decompress, look up uids, insert, balances, merge; committed): {imported:.2f} s wall-clock")
    print(f"  of which this process's CPU time: {cpu:.2f} s (the rest: waiting for the disk or for a shared CPU)")
    print(
        f"records applied {report.applied:,}, skipped {report.skipped:,}; "
        f"after both imports below the node holds {held:,} movements"
    )
    verdict = "met" if rate >= TARGET else "NOT met"
    print(f"movements imported per second (bundle movements / import wall-clock s): {rate:,.0f}")
    print(f"  target >= {TARGET:,}/s: {verdict}")
    print(f"  per CPU second (bundle movements / import CPU s): {n / cpu:,.0f}")
    print(
        f"the next {n:,} (acknowledged records not sent again: {report2.applied:,} applied, "
        f"{report2.skipped:,} skipped) into a node already holding {n:,}: {again:.2f} s, "
        f"{n / again:,.0f}/s — cost against the node's history: {again / imported:.2f}× the first import"
    )
    reconciled = "yes" if not mismatches else f"no, {len(mismatches)} mismatches"
    print(f"node balances reconcile with its ledger: {reconciled}")


if __name__ == "__main__":
    main()
