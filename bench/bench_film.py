"""Benchmark: the drill film of the built-in 72-hour drill, at the default speed (600 simulated
seconds per second of film, 10 frames a second: 4,321 frames, 7 min 12 s of film).

Prints, in one run: the film script's time (the drill's 200 replications, the median chosen and
replayed with the trace on), then the MP4's render time for the first 12, 24, 48 and 72 hours of
that script (frames, seconds, frames a second, seconds per drill hour — how it grows), and the
HTML's. Target (issue 24): the 72-hour drill rendered in ≤ 2 minutes on 2 cores.

    python bench/bench_film.py [--workers 2] [--hours 12,24,48,72] [--keep out/]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from maps.film import DEFAULT_FPS, DEFAULT_SPEED, write_film  # noqa: E402
from maps.film.video import frame_count  # noqa: E402
from simulation.film import film_timeline  # noqa: E402
from supply.core.scenario import load_scenario  # noqa: E402

TARGET_SECONDS = 120.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--hours", default="12,24,48,72")
    ap.add_argument("--keep", type=Path, default=None, help="keep the films in this folder")
    args = ap.parse_args()
    hours = [float(h) for h in args.hours.split(",")]
    out = args.keep or Path(tempfile.mkdtemp(prefix="bench-film-"))
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    script = film_timeline(load_scenario(None), workers=args.workers)
    t_script = time.perf_counter() - t0
    a = script.about
    print(
        f"film script: {t_script:6.1f} s  (replication {a['index']} of {a['of']}, {a['choice']}; "
        f"{len(script.events)} events, {len(script.moves)} moves, {len(script.stock)} stock levels)"
    )
    print(f"{'drill h':>8} {'frames':>7} {'MP4 s':>7} {'frames/s':>9} {'s per drill h':>14}")
    last = 0.0
    for h in hours:
        part = dataclasses.replace(script, horizon=min(h * 60, script.horizon))
        frames = frame_count(part.horizon, DEFAULT_SPEED, DEFAULT_FPS)
        t0 = time.perf_counter()
        write_film(part, out / f"film-{h:g}h.mp4", lang="zh", workers=args.workers)
        last = time.perf_counter() - t0
        print(f"{h:8g} {frames:7d} {last:7.1f} {frames / last:9.1f} {last / h:14.2f}")
    t0 = time.perf_counter()
    write_film(script, out / "film.html", lang="zh")
    t_html = time.perf_counter() - t0
    size = (out / "film.html").stat().st_size / 1e6
    print(f"HTML: {t_html:.1f} s, {size:.2f} MB")
    verdict = "met" if last <= TARGET_SECONDS else "NOT met"
    print(
        f"72-hour MP4 render: {last:.1f} s against the target {TARGET_SECONDS:.0f} s ({verdict}); "
        f"with its script {last + t_script:.1f} s; workers={args.workers}; films in {out}"
    )


if __name__ == "__main__":
    main()
