"""HTML page and error handlers."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from flaskstack_sample import FALLBACK_VERSION, get_version


def test_index_renders_template(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "It works!" in html
    assert "test-release" in html
    assert get_version() in html


def test_index_links_fingerprinted_assets(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'href="/static/css/site.3f9a1c2e.css"' in html
    assert 'src="/static/js/app.7b2d4e10.js"' in html
    assert 'src="/static/img/logo.svg"' in html


def test_index_links_the_vendored_bundle(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert 'href="/static/vendor/bootstrap.min.css"' in html
    assert 'src="/static/vendor/bootstrap.bundle.min.js"' in html


def test_version_falls_back_or_matches_metadata() -> None:
    assert get_version()
    assert FALLBACK_VERSION == "0.1.0"


def test_404_uses_error_page(client: FlaskClient) -> None:
    response = client.get("/does-not-exist")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<h1 class="error-code">404</h1>' in html
    assert "Not Found" in html


def test_500_uses_error_page(make_app: Callable[..., Flask]) -> None:
    app = make_app(TESTING=False)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<h1 class="error-code">500</h1>' in html
    assert "Internal Server Error" in html
    assert "boom" not in html
