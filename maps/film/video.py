"""The film as an MP4: H.264, 1280×720, the captions and chapter headings burnt in.

The static picture — the outline base map, the routes travelled, the stations and sites, the
panel's headings — is drawn once with matplotlib (Agg); each frame is that picture with what
moves at the frame's minute (:class:`~maps.film.state.Script`) drawn over it with Pillow, and
piped as raw RGB to the ffmpeg that ``imageio-ffmpeg`` ships (nothing outside pip). With
``workers`` > 1 the frames are cut into segments encoded in parallel processes and joined
without re-encoding. Frame ``i`` shows minute ``i × speed / fps / 60``.
"""

from __future__ import annotations

import math
import multiprocessing
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from maps.film import layout as lay
from maps.film.html import GAUGE_ITEMS, legend_rows, lost_words, subtitle
from maps.film.state import Frame, Script
from maps.film.words import caption, clock, item_name, label
from supply.core.errors import InvalidArgumentError
from supply.core.timeline import Timeline

Progress = Callable[[int, int], None]
SEGMENT = 240  # frames per parallel segment
PANEL_X = lay.MAP_W + 14
GAUGE_TOP = 168
ROW = 22


def frame_count(horizon: float, speed: float, fps: float) -> int:
    """Frames for ``horizon`` minutes at ``speed`` simulated seconds per second: the last shows the end."""
    return math.floor(horizon * 60 / speed * fps + 1e-9) + 1


def frame_minute(i: int, speed: float, fps: float) -> float:
    return i * speed / fps / 60


@cache
def font_path(lang: str) -> str:
    """A font with Chinese glyphs (WenQuanYi Micro Hei, or another CJK font); DejaVu for English without one."""
    from matplotlib import font_manager

    for family in ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC"):
        try:
            return str(font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False))
        except ValueError:
            continue
    if lang == "zh":
        msg = "no Chinese font for the film: install one (Debian: apt-get install fonts-wqy-microhei)"
        raise InvalidArgumentError(msg)
    return str(font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans")))


@cache
def _font(lang: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(lang), size)


@lru_cache(maxsize=8192)
def _sprite(text: str, lang: str, size: int) -> tuple[Image.Image, tuple[int, int]]:
    """``text``'s glyphs as a mask (drawn once, pasted on every frame that shows it) and its offset."""
    font = _font(lang, size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255)
    return mask, (left, top)


def _text(
    img: Image.Image, xy: tuple[float, float], text: str, lang: str, size: int, fill: tuple[int, int, int]
) -> None:
    mask, (dx, dy) = _sprite(text, lang, size)
    img.paste(fill, (int(xy[0]) + dx, int(xy[1]) + dy), mask)


@lru_cache(maxsize=4096)
def _wrapped(text: str, lang: str, size: int, width: int) -> tuple[str, ...]:
    return tuple(_wrap(text, _font(lang, size), width))


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def base_picture(timeline: Timeline, lang: str, speed: float) -> np.ndarray:
    """The picture every frame starts from (H × W × 3, uint8), drawn once with matplotlib."""
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon

    prop = font_manager.FontProperties(fname=font_path(lang))
    proj = lay.projection(timeline)
    fig = Figure(figsize=(lay.WIDTH / 100, lay.HEIGHT / 100), dpi=100)
    ax = fig.add_axes((0, 0, lay.MAP_W / lay.WIDTH, 1))
    ax.set_xlim(0, proj.width)
    ax.set_ylim(proj.height, 0)
    ax.set_axis_off()
    ax.add_patch(Polygon([(0, 0), (proj.width, 0), (proj.width, proj.height), (0, proj.height)], color=lay.SEA))
    for _kind, ring in lay.base_rings(timeline, proj):
        ax.add_patch(Polygon(ring, closed=True, facecolor=lay.LAND, edgecolor=lay.DISTRICT_EDGE, linewidth=0.7))
    for x, y, name in lay.district_labels(timeline, proj, lang):
        ax.text(x, y, name, fontproperties=prop, fontsize=8, color="#8d8576", ha="center", va="center")
    seen: set[tuple[tuple[float, float], ...]] = set()
    for m in timeline.moves:
        pts = tuple(proj.xy(*p) for p in m.path)
        if len(pts) > 1 and pts not in seen:
            seen.add(pts)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=lay.ROUTE, linewidth=1.3, alpha=0.6)
    labels = lay.label_positions(timeline, proj)
    for p in timeline.places:
        x, y = proj.xy(p.lat, p.lon)
        colour = lay.TIER_COLOUR.get(p.kind, "#555")
        lx, ly, anchor = labels[p.code]
        ha = "left" if anchor == "start" else "right"
        if p.kind == "site":
            ax.plot([x], [y], marker="s", markersize=6, color=colour)
            ax.text(lx, ly, p.code, fontsize=8, color="#5d4037", ha=ha, va="top", fontproperties=prop)
        else:
            size = 13 if p.kind == "hub" else 10
            ax.plot([x], [y], marker="o", markersize=size, color=colour, markeredgecolor="white", markeredgewidth=2)
            ax.text(
                lx, ly, p.code, fontsize=9, fontweight="bold", color="#1d2733", ha=ha, va="top", fontproperties=prop
            )
    _legend(ax, prop, lang)
    panel = fig.add_axes((lay.MAP_W / lay.WIDTH, 0, 1 - lay.MAP_W / lay.WIDTH, 1))
    panel.set_xlim(lay.MAP_W, lay.WIDTH)
    panel.set_ylim(lay.HEIGHT, 0)
    panel.set_axis_off()
    panel.add_patch(
        Polygon([(lay.MAP_W, 0), (lay.WIDTH, 0), (lay.WIDTH, lay.HEIGHT), (lay.MAP_W, lay.HEIGHT)], color="#f7f7f5")
    )
    title = f"{label('title', lang)}: {timeline.title}"
    panel.text(PANEL_X, 62, title, fontproperties=prop, fontsize=10, fontweight="bold", va="top", wrap=True)
    lines = [*_wrap(subtitle(timeline, lang), _font(lang, 11), 370), label("speed_note", lang, speed=int(speed))]
    for k, line in enumerate(lines[:4]):
        panel.text(PANEL_X, 98 + 12 * k, line, fontproperties=prop, fontsize=8, color="#555", va="top")
    panel.text(PANEL_X, 140, label("stock", lang), fontproperties=prop, fontsize=10, fontweight="bold", va="top")
    for r, st in enumerate(_gauge_stations(timeline)):
        y = GAUGE_TOP + r * ROW + 8
        panel.text(PANEL_X, y, st, fontsize=8, fontweight="bold", va="center", fontproperties=prop)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    return np.ascontiguousarray(rgba[:, :, :3])


def _legend(ax: Any, prop: Any, lang: str) -> None:
    """What the colours mean, in the map's lower left (above the caption bar)."""
    from matplotlib.patches import Rectangle

    rows = legend_rows(lang)
    top = lay.HEIGHT - 50 - 16 * len(rows)
    ax.add_patch(Rectangle((8, top - 6), 170, 16 * len(rows) + 8, facecolor="white", edgecolor="#bbb", alpha=0.9))
    for k, (colour, text, shape) in enumerate(rows):
        y = top + 16 * k + 5
        ax.plot([20], [y], marker="o" if shape == "dot" else "s", markersize=7, color=colour)
        ax.text(32, y, text, fontproperties=prop, fontsize=8, va="center")


def _gauge_stations(timeline: Timeline) -> list[str]:
    return [p.code for p in timeline.stations() if timeline.opening.get(p.code)][:12]


class Painter:
    """Draws one frame's moving parts over the base picture (text pasted from cached glyph masks)."""

    def __init__(self, timeline: Timeline, lang: str, speed: float) -> None:
        self.timeline, self.lang = timeline, lang
        self.script = Script(timeline)
        self.proj = lay.projection(timeline)
        self.base = Image.fromarray(base_picture(timeline, lang, speed))
        self.xy = {p.code: self.proj.xy(p.lat, p.lon) for p in timeline.places}
        self.stations = _gauge_stations(timeline)

    def draw(self, minute: float) -> Image.Image:
        frame = self.script.at(minute)
        img = self.base.copy()
        d = ImageDraw.Draw(img)
        self._disruptions(img, d, frame)
        self._units(img, d, frame)
        self._panel(img, d, frame)
        return img

    def _say(self, img: Image.Image, xy: tuple[float, float], text: str, size: int, fill: tuple[int, int, int]) -> None:
        _text(img, xy, text, self.lang, size, fill)

    def _disruptions(self, img: Image.Image, d: ImageDraw.ImageDraw, frame: Frame) -> None:
        red = _rgb(lay.CLOSED)
        for dis in frame.disruptions:
            for a, b in dis.segments:
                (x1, y1), (x2, y2) = self.proj.xy(*a), self.proj.xy(*b)
                d.line([(x1, y1), (x2, y2)], fill=red, width=6)
            if dis.segments:
                (x1, y1), (x2, y2) = (self.proj.xy(*p) for p in dis.segments[0])
                word = label("closed", self.lang) if dis.kind == "close" else "×"
                self._say(img, ((x1 + x2) / 2 + 10, (y1 + y2) / 2 - 18), f"✕ {dis.ref} {word}", 13, red)
            if dis.kind in ("offline", "lose") and dis.ref in self.xy:
                x, y = self.xy[dis.ref]
                d.ellipse([x - 17, y - 17, x + 17, y + 17], outline=red, width=3)
                if dis.kind == "lose":
                    self._say(img, (x - 20, y + 20), lost_words(dis.detail, self.lang), 13, red)

    def _units(self, img: Image.Image, d: ImageDraw.ImageDraw, frame: Frame) -> None:
        stacked: dict[str, int] = {}
        for u in frame.at_station:
            if u.station not in self.xy:
                continue
            x, y = self.xy[u.station]
            k = stacked[u.station] = stacked.get(u.station, 0) + 1
            top = y - 14 - 17 * k
            d.rectangle([x + 10, top, x + 86, top + 15], fill=_rgb(lay.STATUS_COLOUR.get(u.status, "#444444")))
            self._say(img, (x + 13, top + 1), f"{u.subject} {u.people}", 11, (255, 255, 255))
        for m in frame.on_road:
            x, y = self.proj.xy(*m.position)
            r = 7 if m.kind == "unit" else 5
            d.ellipse([x - r, y - r, x + r, y + r], fill=_rgb(lay.MOVER_COLOUR.get(m.kind, "#333333")), outline="white")
            if m.kind == "unit":
                self._say(img, (x + 9, y - 7), m.subject, 11, (34, 34, 34))

    def _panel(self, img: Image.Image, d: ImageDraw.ImageDraw, frame: Frame) -> None:
        self._say(img, (PANEL_X, 8), clock(frame.minute, self.timeline.start_iso), 40, (29, 39, 51))
        x0 = PANEL_X + 72
        width = (lay.WIDTH - 14 - x0) // len(GAUGE_ITEMS) - 4
        for r, st in enumerate(self.stations):
            shares = frame.stock.get(st, {})
            for c, item in enumerate(GAUGE_ITEMS):
                if item not in self.timeline.opening.get(st, {}):
                    continue
                share = shares.get(item, 1.0)
                left, top = x0 + c * (width + 4), GAUGE_TOP + r * ROW
                d.rectangle([left, top, left + width, top + 15], fill=(224, 224, 224))
                colour = "#d50000" if share < 0.25 else "#f9a825" if share < 0.5 else "#2e7d32"
                d.rectangle([left, top, left + width * max(0.0, min(1.0, share)), top + 15], fill=_rgb(colour))
                self._say(img, (left + 3, top + 1), f"{item_name(item, self.lang)} {share:.0%}", 11, (255, 255, 255))
        y = GAUGE_TOP + len(self.stations) * ROW + 12
        for i, e in enumerate(frame.captions):
            size, fill = (13, (0, 0, 0)) if i == 0 else (11, (90, 90, 90))
            text = f"{clock(e.minute, self.timeline.start_iso)}  {caption(e, self.lang)}"
            for line in _wrapped(text, self.lang, size, 360):
                self._say(img, (PANEL_X, y), line, size, fill)
                y += size + 4
            y += 4
        if frame.coming is not None:
            text = f"{label('next', self.lang)}: {clock(frame.coming.minute, self.timeline.start_iso)}  "
            for line in _wrapped(text + caption(frame.coming, self.lang), self.lang, 11, 360):
                self._say(img, (PANEL_X, y + 4), line, 11, (21, 101, 192))
                y += 15
        if frame.captions:  # the newest caption along the map's foot, too
            d.rectangle([0, lay.HEIGHT - 34, lay.MAP_W, lay.HEIGHT], fill=(29, 39, 51))
            self._say(img, (12, lay.HEIGHT - 28), caption(frame.captions[0], self.lang), 17, (255, 255, 255))
        if frame.chapter is not None:
            text = caption(frame.chapter, self.lang)
            mask, _ = _sprite(text, self.lang, 26)
            d.rectangle([24, 20, 56 + mask.width, 50 + mask.height], fill=(29, 39, 51))
            self._say(img, (40, 30), text, 26, (255, 255, 255))


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> Iterator[str]:
    """Lines of ``text`` no wider than ``width`` pixels (breaking anywhere: Chinese has no spaces)."""
    line = ""
    for ch in text:
        if font.getlength(line + ch) > width and line:
            cut = line.rfind(" ")
            if cut > len(line) // 2:  # break at a space where there is one (English)
                yield line[:cut]
                line = line[cut + 1 :] + ch
            else:
                yield line
                line = ch.lstrip()
        else:
            line += ch
    if line:
        yield line


def _ffmpeg(path: Path, fps: float, threads: int) -> subprocess.Popen[bytes]:
    import imageio_ffmpeg

    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{lay.WIDTH}x{lay.HEIGHT}",
        "-r",
        f"{fps:g}",
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "animation",
        "-pix_fmt",
        "yuv420p",
        "-threads",
        str(threads),
        "-movflags",
        "+faststart",
        str(path),
    ]
    return subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)


def _encode(
    painter: Painter, frames: range, path: Path, speed: float, fps: float, threads: int, tick: Progress | None
) -> Path:
    proc = _ffmpeg(path, fps, threads)
    assert proc.stdin is not None
    try:
        for n, i in enumerate(frames, 1):
            proc.stdin.write(painter.draw(frame_minute(i, speed, fps)).tobytes())
            if tick and (n % 10 == 0 or n == len(frames)):
                tick(n, len(frames))
    except BrokenPipeError:
        pass  # ffmpeg stopped: its message follows
    finally:
        _, err = proc.communicate()  # closes its input, reads its messages, waits
    if proc.returncode != 0:
        msg = f"ffmpeg failed writing {path.name}: {err.decode(errors='replace').strip()[-500:]}"
        raise RuntimeError(msg)
    return path


_WORKER: dict[str, Painter] = {}


def _segment(timeline: Timeline, lang: str, speed: float, fps: float, start: int, stop: int, path: str) -> int:
    """A worker process's part: frames ``start``–``stop`` into ``path`` (its painter built once)."""
    painter = _WORKER.get("p")
    if painter is None:
        painter = _WORKER["p"] = Painter(timeline, lang, speed)
    _encode(painter, range(start, stop), Path(path), speed, fps, 1, None)
    return stop - start


def write_mp4(
    timeline: Timeline,
    path: Path,
    *,
    lang: str,
    speed: float,
    fps: float,
    progress: Progress | None = None,
    workers: int = 1,
) -> Path:
    """Render and encode the film to ``path``."""
    total = frame_count(timeline.horizon, speed, fps)
    if workers <= 1 or total < 2 * SEGMENT:
        painter = Painter(timeline, lang, speed)
        return _encode(painter, range(total), path, speed, fps, 2, progress)
    with tempfile.TemporaryDirectory(prefix="film-", dir=path.parent) as tmp:
        parts = [
            (s, min(total, s + SEGMENT), str(Path(tmp) / f"part{k:04d}.mp4"))
            for k, s in enumerate(range(0, total, SEGMENT))
        ]
        _WORKER["p"] = Painter(timeline, lang, speed)  # forked workers inherit it
        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        done = 0
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = [pool.submit(_segment, timeline, lang, speed, fps, a, b, p) for a, b, p in parts]
            for f in as_completed(futures):
                done += f.result()
                if progress:
                    progress(done, total)
        listing = Path(tmp) / "parts.txt"
        listing.write_text("".join(f"file '{p}'\n" for _, _, p in parts), encoding="utf-8")
        _concat(listing, path)
    return path


def _concat(listing: Path, out: Path) -> None:
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0"]
    cmd += ["-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        msg = f"ffmpeg could not join the film's segments: {res.stderr.strip()[-500:]}"
        raise RuntimeError(msg)
