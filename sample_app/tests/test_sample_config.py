"""Settings from the environment and from the config mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from flaskstack_sample import create_app
from flaskstack_sample.config import DEV_SECRET_KEY, ConfigError, load_settings


def test_missing_secret_key_raises() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY") as excinfo:
        create_app()
    assert "environment variable" in str(excinfo.value)


def test_empty_secret_key_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_config_error_is_runtime_error() -> None:
    assert issubclass(ConfigError, RuntimeError)


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "Yes", "yes"])
def test_debug_without_secret_key_uses_dev_key(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("APP_DEBUG", value)
    app = create_app()
    assert app.debug is True
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY


@pytest.mark.parametrize("value", ["0", "false", "no", "", "on"])
def test_debug_off_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("APP_DEBUG", value)
    monkeypatch.setenv("SECRET_KEY", "k")
    assert create_app().debug is False


def test_defaults_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.debug is False
    assert app.config["PROXY_HOPS"] == 0
    assert app.config["RELEASE"] == "dev"
    assert app.config["SLOW_MAX_MS"] == 2000


def test_env_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("APP_PROXY_HOPS", "2")
    monkeypatch.setenv("APP_RELEASE", "r42")
    monkeypatch.setenv("APP_SLOW_MAX_MS", "300")
    settings = load_settings()
    assert (settings.proxy_hops, settings.release, settings.slow_max_ms) == (2, "r42", 300)


def test_mapping_overrides_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("APP_PROXY_HOPS", "3")
    app = create_app({"SECRET_KEY": "x", "PROXY_HOPS": 1, "TESTING": True})
    assert app.config["SECRET_KEY"] == "x"
    assert app.config["PROXY_HOPS"] == 1
    assert app.config["TESTING"] is True


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_invalid_proxy_hops_env(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("APP_PROXY_HOPS", value)
    with pytest.raises(ConfigError, match="APP_PROXY_HOPS"):
        create_app()


def test_invalid_proxy_hops_mapping() -> None:
    with pytest.raises(ConfigError, match="APP_PROXY_HOPS"):
        create_app({"SECRET_KEY": "k", "PROXY_HOPS": -1})


@pytest.mark.parametrize("value", ["abc", "-5"])
def test_invalid_slow_max(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("APP_SLOW_MAX_MS", value)
    with pytest.raises(ConfigError, match="APP_SLOW_MAX_MS"):
        create_app()


def test_log_file_gets_the_start_and_every_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "app.log"
    monkeypatch.setenv("APP_LOG_FILE", str(log))
    app = create_app({"SECRET_KEY": "k", "RELEASE": "r7", "TESTING": True})
    app.test_client().get("/healthz?marker")
    lines = log.read_text().splitlines()
    assert "started release r7" in lines[0]
    assert lines[-1].endswith("GET /healthz?marker 200")


def test_no_log_file_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("APP_LOG_FILE", raising=False)
    assert create_app().config["LOG_FILE"] == ""
