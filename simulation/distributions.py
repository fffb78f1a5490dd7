"""Service-time distributions: a number (fixed) or ``{dist = "...", ...}``, sampled vectorised.

Every draw takes an explicit :class:`numpy.random.Generator`; nothing here holds state.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import numpy as np
from pydantic import Field

from supply.core.types import Strict

DistName = Literal["fixed", "exponential", "uniform", "triangular", "lognormal"]

#: The parameters each distribution needs (``lognormal`` takes the mean and sd of the times).
REQUIRED: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("mean", "sd"),
}


class Dist(Strict):
    """A distribution of minutes. Which parameters are required depends on ``dist``."""

    dist: DistName
    value: float | None = Field(default=None, ge=0)
    mean: float | None = Field(default=None, gt=0)
    sd: float | None = Field(default=None, ge=0)
    low: float | None = Field(default=None, ge=0)
    mode: float | None = Field(default=None, ge=0)
    high: float | None = Field(default=None, ge=0)

    @classmethod
    def fixed(cls, value: float) -> Dist:
        return cls(dist="fixed", value=value)

    def problems(self) -> list[tuple[str, str]]:
        """``(key, message)`` for every missing or inconsistent parameter."""
        out = [
            (p, f"{self.dist} distribution needs '{p}' (requires {', '.join(REQUIRED[self.dist])})")
            for p in REQUIRED[self.dist]
            if getattr(self, p) is None
        ]
        if out:
            return out
        if self.dist == "uniform":
            low, high = self._params("low", "high")
            if low > high:
                out.append(("low", f"uniform low {self.low} > high {self.high}"))
        if self.dist == "triangular" and sorted(tri := self._params("low", "mode", "high")) != tri:
            out.append(("mode", f"triangular needs low ≤ mode ≤ high, got {self.low}, {self.mode}, {self.high}"))
        if self.dist == "triangular" and self.low == self.high:
            out.append(("high", "triangular low and high must differ (use a fixed value)"))
        return out

    def _params(self, *names: str) -> list[float]:
        """The parameters ``names`` as floats (:meth:`problems` has checked they are given)."""
        values = [getattr(self, name) for name in names]
        if any(v is None for v in values):
            msg = f"{self.dist} distribution needs {', '.join(names)}"
            raise ValueError(msg)
        return [float(v) for v in values]

    @property
    def expected(self) -> float:
        """The mean of the distribution (used by the assignment policy's estimates)."""
        params = self._params(*REQUIRED[self.dist])
        if self.dist in ("uniform", "triangular"):
            return sum(params) / len(params)
        return params[0]  # fixed: the value; exponential and lognormal: the mean

    @property
    def long(self) -> float:
        """A long draw, for sizing by hand so that the last of many is covered: the maximum where
        there is one, else about the 95th percentile (3 means; mean + 2 sd for lognormal)."""
        params = self._params(*REQUIRED[self.dist])
        if self.dist in ("fixed", "uniform", "triangular"):
            return params[-1]  # the value, or the high end
        if self.dist == "exponential":
            return 3.0 * params[0]
        mean, sd = params
        return mean + 2.0 * sd

    def describe(self) -> str:
        """In words, e.g. ``exponential, mean 20 min``."""
        if self.dist == "fixed":
            return f"fixed {self.value:g} min"
        if self.dist == "exponential":
            return f"exponential, mean {self.mean:g} min"
        if self.dist == "uniform":
            return f"uniform {self.low:g}–{self.high:g} min"
        if self.dist == "triangular":
            return f"triangular {self.low:g}–{self.mode:g}–{self.high:g} min (mean {self.expected:.0f})"
        return f"lognormal, mean {self.mean:g} min, sd {self.sd:g}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws (minutes, ≥ 0)."""
        params = self._params(*REQUIRED[self.dist])
        if self.dist == "fixed":
            return np.full(size, params[0])
        if self.dist == "exponential":
            return rng.exponential(params[0], size)
        if self.dist == "uniform":
            low, high = params
            return rng.uniform(low, high, size)
        if self.dist == "triangular":
            low, mode, high = params
            return rng.triangular(low, mode, high, size)
        # lognormal with the given mean and sd of the times themselves
        m, s = params
        sigma2 = math.log1p((s / m) ** 2)
        return rng.lognormal(math.log(m) - sigma2 / 2, math.sqrt(sigma2), size)

    def sampler(self, rng: np.random.Generator, buffered: bool = False) -> Callable[[int], list[float]]:
        """``draw(k)``: ``k`` draws as a list, the same numbers as ``sample(rng, k).tolist()``.

        ``buffered``: draw ahead in chunks and hand the numbers out in turn. NumPy fills an array
        draw by draw, so the numbers are still the same — provided nothing else draws from
        ``rng`` meanwhile (the caller's promise)."""
        params = self._params(*REQUIRED[self.dist])
        if self.dist == "fixed":
            value = params[0]
            return lambda k: [value] * k
        if self.dist == "exponential":
            draw = partial(rng.exponential, params[0])
        elif self.dist == "uniform":
            draw = partial(rng.uniform, *params)
        elif self.dist == "triangular":
            draw = partial(rng.triangular, *params)
        else:
            m, s = params
            sigma2 = math.log1p((s / m) ** 2)
            draw = partial(rng.lognormal, math.log(m) - sigma2 / 2, math.sqrt(sigma2))
        return _Buffer(draw).take if buffered else _as_lists(draw)


def _as_lists(draw: Callable[[int], Any]) -> Callable[[int], list[float]]:
    """``draw`` giving lists of floats (what the model's loops take fastest)."""
    return lambda k: draw(k).tolist()


class _Buffer:
    """Numbers drawn ahead in growing chunks (64 up to 8,192), handed out in order."""

    __slots__ = ("draw", "buf", "pos", "chunk")

    def __init__(self, draw: Callable[[int], Any]) -> None:
        self.draw = draw
        self.buf: list[float] = []
        self.pos = 0
        self.chunk = 64

    def take(self, k: int) -> list[float]:
        pos = self.pos
        end = pos + k
        if end > len(self.buf):
            self.buf = self.buf[pos:] + self.draw(max(self.chunk, k)).tolist()
            self.chunk = min(2 * self.chunk, 8192)
            pos, end = 0, k
        self.pos = end
        if k == 1:
            return [self.buf[pos]]
        return self.buf[pos:end]


def as_dist(value: float | int | dict | Dist) -> Dist | float | dict:
    """Let a bare number stand for a fixed time (before validation)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value
