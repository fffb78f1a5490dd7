"""Settings from the environment (``JUNGONG_*``) or a ``.env`` file, with safe defaults.

Nothing here is built at import time: call :func:`get_settings` (cached) and let tests build
their own :class:`Settings`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from supply.core.errors import InvalidArgumentError


def _builtin_scenarios() -> Path:
    """The built-in scenarios: packaged as ``supply/scenarios`` in a wheel, else the repository's ``scenarios/``."""
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "scenarios"
    return packaged if packaged.is_dir() else here.parents[2] / "scenarios"


#: The built-in scenarios folder, wherever the project is installed from.
PROJECT_SCENARIOS = _builtin_scenarios()


class Settings(BaseSettings):
    """Runtime settings. No setting is needed for the default run."""

    model_config = SettingsConfigDict(env_prefix="JUNGONG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path.home() / ".jungong", description="where files are kept")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: a SQLite file in data_dir")
    timezone: str = Field(default="Asia/Shanghai", description="time zone for display")
    scenarios_dir: Path = Field(default=PROJECT_SCENARIOS, description="built-in scenarios")
    token_days: float = Field(default=90, gt=0, le=3650, description="a new token is valid this many days")
    idempotency_hours: float = Field(
        default=72, gt=0, le=24 * 365, description="an Idempotency-Key's first answer is kept (and replayed) this long"
    )
    session_hours: float = Field(
        default=12, gt=0, le=24 * 30, description="a console session ends this many hours after its sign-in"
    )
    session_idle_minutes: float = Field(
        default=30, gt=0, le=24 * 60, description="a console session unused this many minutes ends"
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, description="larger request bodies get 413")
    max_sync_bytes: int = Field(
        default=64_000_000, ge=1_000, description="larger sync bundles pushed to /sync/push get 413 (carry a file)"
    )
    sqlite_busy_seconds: float = Field(
        default=10, gt=0, le=600, description="a SQLite writer waits this long for the lock, then 503 + Retry-After"
    )
    writes_on_loop: Literal["auto", "on", "off"] = Field(
        default="auto",
        description=(
            "where the duty officers' short writes run: on the event loop (no thread hand-off; a write that "
            "would wait more than 20 ms for a lock steps aside to a worker thread) or always in a worker thread; "
            "auto: on the loop for a SQLite file and a PostgreSQL server on this machine (loopback or a Unix "
            "socket), in threads for a remote server (its round trips would stall the loop)"
        ),
    )
    drill_work_limit: float = Field(
        default=5e7,
        gt=0,
        description="the most simulated events (replications × arrivals and events) a drill may cost",
    )
    drill_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="jobs (drill planning, analyses) each server process runs at once, one process each",
    )
    drill_queue: int = Field(
        default=8, ge=1, le=1_000, description="drills planning at once in all (more: 503 + Retry-After)"
    )
    drill_queue_per_user: int = Field(
        default=2, ge=1, le=1_000, description="drills one user may have planning at once (more: 429 + Retry-After)"
    )
    cluster: str | None = Field(default=None, description="a Dask scheduler (tcp://host:8786) for drill planning")
    analysis_jobs: int = Field(
        default=4, ge=1, le=256, description="background analyses (coverage, N-1, maps) queued or running at once"
    )
    analysis_jobs_per_user: int = Field(
        default=2, ge=1, le=256, description="background analyses one user may have queued or running at once"
    )
    analysis_keep: int = Field(default=200, ge=1, le=100_000, description="finished analyses kept for reuse")
    sync_passphrase: SecretStr | None = Field(
        default=None, description="encrypts this database's sync signing key at rest; needed to sign bundles"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            msg = f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)"
            raise ValueError(msg) from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def default_scenario(self) -> Path:
        return self.scenarios_dir / "guangzhou.toml"

    @property
    def network_cache_dir(self) -> Path:
        """Where compiled road networks are cached (:mod:`supply.core.network_cache`)."""
        return self.data_dir / "cache" / "networks"

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<data_dir>/jungong.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'jungong.db'}"


def settings_error(exc: ValidationError) -> InvalidArgumentError:
    """Every bad setting at once, each named by its environment variable, as one line."""
    faults = []
    for error in exc.errors():
        name = "JUNGONG_" + "_".join(str(part) for part in error["loc"]).upper()
        value = error.get("input")
        shown = "" if isinstance(value, dict) else f" = {str(value)[:60]!r}"
        faults.append(f"{name}{shown}: {error['msg']}")
    return InvalidArgumentError("bad settings: " + "; ".join(faults))


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once; bad values are an :class:`InvalidArgumentError` naming each."""
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc) from None
