"""The drill's demonstration film (示范录像片): a :class:`~supply.core.timeline.Timeline` played on the map.

:func:`write_film` writes an MP4 (H.264, 1280×720, captions burnt in) or a self-contained HTML
player, by the path's suffix, in Chinese or English. ``speed``: simulated seconds per second of film.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from maps.film.words import check_lang
from supply.core.errors import InvalidArgumentError
from supply.core.timeline import Timeline

#: progress(done, total): frames rendered (MP4) or steps (HTML).
Progress = Callable[[int, int], None]
FORMATS = (".mp4", ".html")
DEFAULT_SPEED = 600.0
DEFAULT_FPS = 10.0


def check_film_path(path: str | Path) -> Path:
    out = Path(path)
    if out.suffix.lower() not in FORMATS:
        msg = f"the film is written as .mp4 or .html, not {out.name!r}"
        raise InvalidArgumentError(msg)
    return out


def write_film(
    timeline: Timeline,
    path: str | Path,
    *,
    lang: str = "zh",
    speed: float = DEFAULT_SPEED,
    fps: float = DEFAULT_FPS,
    progress: Progress | None = None,
    workers: int = 1,
) -> Path:
    """Write the film of ``timeline`` to ``path`` (``.mp4`` or ``.html``) and return the path."""
    out = check_film_path(path)
    check_lang(lang)
    if not speed > 0:
        msg = f"speed must be > 0 simulated seconds per second, got {speed}"
        raise InvalidArgumentError(msg)
    if out.suffix.lower() == ".html":
        from maps.film.html import film_html

        out.write_text(film_html(timeline, lang=lang, speed=speed), encoding="utf-8")
        if progress:
            progress(1, 1)
        return out
    from maps.film.video import write_mp4

    return write_mp4(timeline, out, lang=lang, speed=speed, fps=fps, progress=progress, workers=workers)
