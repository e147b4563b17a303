"""The Gunicorn entry point ``flaskstack_sample.wsgi:app``."""

from __future__ import annotations

import importlib
import sys

import pytest
from flask import Flask

from flaskstack_sample.config import ConfigError


def _load_wsgi():
    if "flaskstack_sample.wsgi" in sys.modules:
        return importlib.reload(sys.modules["flaskstack_sample.wsgi"])
    return importlib.import_module("flaskstack_sample.wsgi")


def test_wsgi_imports_with_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "wsgi-secret")
    monkeypatch.setenv("APP_PROXY_HOPS", "1")
    wsgi = _load_wsgi()
    assert isinstance(wsgi.app, Flask)
    assert wsgi.app.config["SECRET_KEY"] == "wsgi-secret"
    assert wsgi.app.test_client().get("/healthz").status_code == 200


def test_wsgi_import_fails_without_secret_key() -> None:
    sys.modules.pop("flaskstack_sample.wsgi", None)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        importlib.import_module("flaskstack_sample.wsgi")
    sys.modules.pop("flaskstack_sample.wsgi", None)
