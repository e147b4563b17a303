"""JSON endpoints used by the deployment tests."""

from __future__ import annotations

import socket
import time
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

bp = Blueprint("api", __name__)

WHOAMI_HEADERS = (
    "Host",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "X-Real-IP",
    "User-Agent",
    # Forwarded headers a proxy must not pass on from clients (the tests check they never arrive).
    "X-Forwarded-Ssl",
    "X-Forwarded-Protocol",
    "X-Forwarded-Scheme",
    "X-Url-Scheme",
    "Front-End-Https",
    "X-Forwarded-Port",
    "X-Forwarded-Prefix",
    "Forwarded",
)
DEFAULT_SLOW_MS = 100


def _no_store(payload: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    response = jsonify(payload)
    response.headers["Cache-Control"] = "no-store"
    return response, status


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness check with version, release and host name."""
    return _no_store(
        {
            "status": "ok",
            "version": current_app.config["APP_VERSION"],
            "release": current_app.config["RELEASE"],
            "host": socket.gethostname(),
        }
    )


@bp.get("/whoami")
def whoami() -> tuple[Response, int]:
    """Report how the request looks from the app (after any ProxyFix)."""
    headers = {name: request.headers[name] for name in WHOAMI_HEADERS if name in request.headers}
    return _no_store(
        {
            "scheme": request.scheme,
            "host": request.host,
            "remote_addr": request.remote_addr,
            "url": request.url,
            "is_secure": request.is_secure,
            "headers": headers,
        }
    )


@bp.get("/slow")
def slow() -> tuple[Response, int]:
    """Sleep ``ms`` milliseconds, clamped to ``SLOW_MAX_MS``."""
    raw = request.args.get("ms")
    if raw is None:
        ms = DEFAULT_SLOW_MS
    else:
        try:
            ms = int(raw)
        except ValueError:
            return _no_store({"error": f"ms must be an integer, got {raw!r}"}, 400)
        if ms < 0:
            return _no_store({"error": f"ms must be >= 0, got {ms}"}, 400)
    ms = min(ms, int(current_app.config["SLOW_MAX_MS"]))
    time.sleep(ms / 1000)
    return _no_store({"slept_ms": ms})


@bp.post("/upload")
def upload() -> tuple[Response, int]:
    """Return the size in bytes of the raw request body."""
    return _no_store({"bytes": len(request.get_data(cache=False))})
