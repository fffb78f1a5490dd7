"""The HTTP API (FastAPI): the only edge, with the CLI, that composes the packages."""

from supply.api.app import create_app

__all__ = ["create_app"]
