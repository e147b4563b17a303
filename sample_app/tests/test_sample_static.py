"""Static assets shipped with the package."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest
from flask.testing import FlaskClient

import flaskstack_sample

STATIC = Path(flaskstack_sample.__file__).parent / "static"
CSS = "css/site.3f9a1c2e.css"
JS = "js/app.7b2d4e10.js"


def test_gzip_copy_matches_css() -> None:
    css = (STATIC / CSS).read_bytes()
    assert gzip.decompress((STATIC / f"{CSS}.gz").read_bytes()) == css


def test_large_bin_is_deterministic() -> None:
    data = (STATIC / "large.bin").read_bytes()
    assert len(data) == 102400
    assert data == random.Random(42).randbytes(102400)


# The exact type for .js depends on the Python version and /etc/mime.types.
@pytest.mark.parametrize(
    ("path", "mimetypes"),
    [
        (CSS, {"text/css"}),
        (JS, {"text/javascript", "application/javascript"}),
        ("img/logo.svg", {"image/svg+xml"}),
        ("large.bin", {"application/octet-stream"}),
    ],
)
def test_static_served(client: FlaskClient, path: str, mimetypes: set[str]) -> None:
    response = client.get(f"/static/{path}")
    try:
        assert response.status_code == 200
        assert response.mimetype in mimetypes
        assert response.get_data() == (STATIC / path).read_bytes()
    finally:
        response.close()


def test_missing_static_is_404(client: FlaskClient) -> None:
    assert client.get("/static/css/nope.css").status_code == 404
