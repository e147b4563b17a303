"""Static assets shipped with the package."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from flask.testing import FlaskClient

import flaskstack_sample

STATIC = Path(flaskstack_sample.__file__).parent / "static"
CSS = "css/site.3f9a1c2e.css"
JS = "js/app.7b2d4e10.js"


def test_no_compressed_copies_in_the_source() -> None:
    # flaskstack.web.app compresses the release's static files when it builds it
    # (app_static_precompress): a copy kept in the source would go stale.
    assert not [path for path in STATIC.rglob("*") if path.suffix in (".gz", ".br")]


@pytest.mark.parametrize(
    ("path", "header"),
    [
        ("vendor/bootstrap.min.css", b"Bootstrap  v5.3.3"),
        ("vendor/bootstrap.bundle.min.js", b"Bootstrap v5.3.3"),
    ],
)
def test_vendored_bundle_keeps_its_license_header(path: str, header: bytes) -> None:
    data = (STATIC / path).read_bytes()
    assert header in data[:200] and b"Licensed under MIT" in data[:300]
    assert b"MIT License" in (STATIC / "vendor" / "LICENSE").read_bytes()


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
        ("vendor/bootstrap.min.css", {"text/css"}),
        ("vendor/bootstrap.bundle.min.js", {"text/javascript", "application/javascript"}),
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
