"""Settings for the sample app, read from the environment.

Environment variables:

``SECRET_KEY``
    Flask secret key. Required unless debug is on; without it (and without
    debug) the app refuses to start with :class:`ConfigError`. In debug mode a
    fixed, insecure development key is used when it is unset.
``APP_DEBUG``
    ``1``, ``true`` or ``yes`` (case-insensitive) turns debug mode on.
    Anything else, or unset, means off.
``APP_PROXY_HOPS``
    Number of trusted reverse proxies in front of the app (integer >= 0,
    default ``0``). ``0`` disables ProxyFix; ``N > 0`` trusts the last ``N``
    values of ``X-Forwarded-For``/``-Proto``/``-Host``.
``APP_RELEASE``
    Release identifier shown on the page and in ``/healthz`` (default ``dev``).
``APP_SLOW_MAX_MS``
    Upper bound in milliseconds for ``/slow?ms=N`` (integer >= 0, default
    ``2000``).
``APP_LOG_FILE``
    A file the app appends a line to at start and for every request (unset or
    empty: no file, the app logs nothing of its own).

A mapping passed to :func:`load_settings` (and ``create_app``) overrides the
environment, using the keys ``SECRET_KEY``, ``DEBUG``, ``PROXY_HOPS``,
``RELEASE``, ``SLOW_MAX_MS`` and ``LOG_FILE``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEV_SECRET_KEY = "dev-insecure-secret-key"  # used only when debug is on
TRUE_VALUES = frozenset({"1", "true", "yes"})

# override key -> environment variable
ENV_NAMES: dict[str, str] = {
    "SECRET_KEY": "SECRET_KEY",
    "DEBUG": "APP_DEBUG",
    "PROXY_HOPS": "APP_PROXY_HOPS",
    "RELEASE": "APP_RELEASE",
    "SLOW_MAX_MS": "APP_SLOW_MAX_MS",
    "LOG_FILE": "APP_LOG_FILE",
}


class ConfigError(RuntimeError):
    """Raised when the configuration is missing or invalid."""


@dataclass(frozen=True)
class Settings:
    """Validated application settings."""

    secret_key: str
    debug: bool = False
    proxy_hops: int = 0
    release: str = "dev"
    slow_max_ms: int = 2000
    log_file: str = ""

    def as_flask_config(self) -> dict[str, Any]:
        """Return the settings as Flask config keys."""
        return {
            "SECRET_KEY": self.secret_key,
            "DEBUG": self.debug,
            "PROXY_HOPS": self.proxy_hops,
            "RELEASE": self.release,
            "SLOW_MAX_MS": self.slow_max_ms,
            "LOG_FILE": self.log_file,
        }


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_VALUES


def _parse_non_negative_int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{name} must be an integer >= 0, got {value!r}") from None
    if number < 0:
        raise ConfigError(f"{name} must be an integer >= 0, got {value!r}")
    return number


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build :class:`Settings` from ``overrides`` first, then the environment."""
    overrides = overrides or {}
    environ = os.environ if environ is None else environ

    def get(key: str) -> Any:
        if key in overrides:
            return overrides[key]
        return environ.get(ENV_NAMES[key])

    raw_debug = get("DEBUG")
    debug = _parse_bool(raw_debug) if raw_debug is not None else False

    secret_key = get("SECRET_KEY")
    if not secret_key:
        if not debug:
            raise ConfigError(
                "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long "
                "random string (e.g. SECRET_KEY=$(python3 -c 'import secrets; "
                "print(secrets.token_hex(32))')), or set APP_DEBUG=1 for local development."
            )
        secret_key = DEV_SECRET_KEY

    raw_hops = get("PROXY_HOPS")
    proxy_hops = (
        0 if raw_hops in (None, "") else _parse_non_negative_int(raw_hops, "APP_PROXY_HOPS")
    )

    raw_max = get("SLOW_MAX_MS")
    slow_max_ms = (
        2000 if raw_max in (None, "") else _parse_non_negative_int(raw_max, "APP_SLOW_MAX_MS")
    )

    release = get("RELEASE")
    log_file = get("LOG_FILE")
    return Settings(
        secret_key=str(secret_key),
        debug=debug,
        proxy_hops=proxy_hops,
        release=str(release) if release else "dev",
        slow_max_ms=slow_max_ms,
        log_file=str(log_file) if log_file else "",
    )
