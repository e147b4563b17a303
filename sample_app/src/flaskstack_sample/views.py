"""HTML pages."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("views", __name__)

# Fingerprinted static assets, relative to the static folder.
ASSETS: dict[str, str] = {
    # Bootstrap 5.3.3's minified build, vendored (static/vendor/LICENSE): a real page's weight of
    # CSS and JS (~230 KB + ~80 KB) for the static-file tests and the bench.
    "vendor_css": "vendor/bootstrap.min.css",
    "vendor_js": "vendor/bootstrap.bundle.min.js",
    "css": "css/site.3f9a1c2e.css",
    "js": "js/app.7b2d4e10.js",
    "logo": "img/logo.svg",
}


@bp.app_context_processor
def inject_assets() -> dict[str, dict[str, str]]:
    """Make the asset paths available to every template (including error pages)."""
    return {"assets": ASSETS}


@bp.get("/")
def index() -> str:
    """Render the landing page."""
    return render_template("index.html")
