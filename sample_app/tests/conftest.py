"""Shared fixtures: an app built from explicit config, isolated from the host environment."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

# Make the src layout importable when pytest runs from the repo root (where
# sample_app/pyproject.toml's `pythonpath` setting is not picked up).
SRC = Path(__file__).resolve().parent.parent / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from flaskstack_sample import create_app  # noqa: E402
from flaskstack_sample.config import ENV_NAMES  # noqa: E402

BASE_CONFIG: dict[str, Any] = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "RELEASE": "test-release",
    "SLOW_MAX_MS": 50,
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep settings from the developer's shell out of the tests."""
    for name in ENV_NAMES.values():
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_app() -> Callable[..., Flask]:
    """Build an app from BASE_CONFIG plus keyword overrides."""

    def _make(config: Mapping[str, Any] | None = None, **overrides: Any) -> Flask:
        return create_app({**BASE_CONFIG, **(config or {}), **overrides})

    return _make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    yield make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
