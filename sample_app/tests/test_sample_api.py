"""JSON endpoints."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.middleware.proxy_fix import ProxyFix

from flaskstack_sample import get_version

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "app.example.test",
    "X-Real-IP": "203.0.113.7",
    "User-Agent": "pytest-agent",
}
PROXY_ADDR = {"REMOTE_ADDR": "10.0.0.5"}


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {
        "status": "ok",
        "version": get_version(),
        "release": "test-release",
        "host": socket.gethostname(),
    }


def test_healthz_release_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from flaskstack_sample import create_app

    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("APP_RELEASE", "20240101-abc")
    data = create_app({"TESTING": True}).test_client().get("/healthz").get_json()
    assert data["release"] == "20240101-abc"


def test_whoami_plain(client: FlaskClient) -> None:
    response = client.get("/whoami", headers={"User-Agent": "pytest-agent"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data == {
        "scheme": "http",
        "host": "localhost",
        "remote_addr": "127.0.0.1",
        "url": "http://localhost/whoami",
        "is_secure": False,
        "headers": {"Host": "localhost", "User-Agent": "pytest-agent"},
    }


def test_whoami_ignores_forwarded_headers_without_proxyfix(client: FlaskClient) -> None:
    data = client.get("/whoami", headers=FORWARDED, environ_base=PROXY_ADDR).get_json()
    assert data["scheme"] == "http"
    assert data["host"] == "localhost"
    assert data["remote_addr"] == "10.0.0.5"
    assert data["is_secure"] is False
    assert data["url"] == "http://localhost/whoami"
    # The raw headers are still reported.
    assert data["headers"] == {"Host": "localhost", **FORWARDED}


def test_whoami_trusts_forwarded_headers_with_proxyfix(make_app: Callable[..., Flask]) -> None:
    app = make_app(PROXY_HOPS=1)
    data = app.test_client().get("/whoami", headers=FORWARDED, environ_base=PROXY_ADDR).get_json()
    assert data["scheme"] == "https"
    assert data["host"] == "app.example.test"
    assert data["remote_addr"] == "203.0.113.7"
    assert data["is_secure"] is True
    assert data["url"] == "https://app.example.test/whoami"


def test_whoami_proxyfix_uses_only_trusted_hops(make_app: Callable[..., Flask]) -> None:
    app = make_app(PROXY_HOPS=1)
    headers = {**FORWARDED, "X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    data = app.test_client().get("/whoami", headers=headers, environ_base=PROXY_ADDR).get_json()
    assert data["remote_addr"] == "203.0.113.7"


def test_proxyfix_wrapping(make_app: Callable[..., Flask]) -> None:
    assert not isinstance(make_app().wsgi_app, ProxyFix)
    wrapped = make_app(PROXY_HOPS=2).wsgi_app
    assert isinstance(wrapped, ProxyFix)
    assert (wrapped.x_for, wrapped.x_proto, wrapped.x_host) == (2, 2, 2)
    assert (wrapped.x_port, wrapped.x_prefix) == (0, 0)


def test_slow_default(client: FlaskClient) -> None:
    # Default is 100 ms, clamped to SLOW_MAX_MS=50 by the test config.
    response = client.get("/slow")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"slept_ms": 50}


@pytest.mark.parametrize(("ms", "expected"), [("0", 0), ("10", 10), ("50", 50), ("999999", 50)])
def test_slow_bounds(client: FlaskClient, ms: str, expected: int) -> None:
    response = client.get(f"/slow?ms={ms}")
    assert response.status_code == 200
    assert response.get_json() == {"slept_ms": expected}


@pytest.mark.parametrize("ms", ["-1", "abc", "1.5", ""])
def test_slow_invalid(client: FlaskClient, ms: str) -> None:
    response = client.get(f"/slow?ms={ms}")
    assert response.status_code == 400
    assert response.is_json
    assert "error" in response.get_json()


def test_upload_raw_body(client: FlaskClient) -> None:
    body = b"x" * 12345
    response = client.post(
        "/upload", data=body, headers={"Content-Type": "application/octet-stream"}
    )
    assert response.status_code == 200
    assert response.get_json() == {"bytes": 12345}


def test_upload_empty(client: FlaskClient) -> None:
    response = client.post("/upload")
    assert response.status_code == 200
    assert response.get_json() == {"bytes": 0}


def test_upload_multipart_counts_raw_body(client: FlaskClient) -> None:
    import io

    payload = b"y" * 2048
    response = client.post(
        "/upload",
        data={"file": (io.BytesIO(payload), "data.bin")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    # The raw multipart body includes boundaries and part headers.
    assert response.get_json()["bytes"] > len(payload)


def test_upload_rejects_get(client: FlaskClient) -> None:
    assert client.get("/upload").status_code == 405
