"""Sample Flask application deployed by the flaskstack Ansible roles."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ConfigError, Settings, load_settings

__all__ = ["ConfigError", "Settings", "create_app", "get_version"]

DIST_NAME = "flaskstack-sample-app"
FALLBACK_VERSION = "0.1.0"


def get_version() -> str:
    """Return the installed package version, or the fallback when not installed."""
    try:
        return version(DIST_NAME)
    except PackageNotFoundError:
        return FALLBACK_VERSION


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory.

    ``config`` overrides the environment (see :mod:`flaskstack_sample.config`);
    keys other than the known settings (e.g. ``TESTING``) go straight into
    ``app.config``.
    """
    settings = load_settings(config)

    app = Flask(__name__)
    app.config.update(settings.as_flask_config())
    if config:
        extra = {k: v for k, v in config.items() if k not in settings.as_flask_config()}
        app.config.update(extra)
    app.config["APP_VERSION"] = get_version()

    if settings.proxy_hops > 0:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=0, x_prefix=0
        )

    from . import api, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    _register_error_handlers(app)
    if settings.log_file:
        _log_to_file(app, settings.log_file)

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {
            "app_version": app.config["APP_VERSION"],
            "release": app.config["RELEASE"],
        }

    return app


def _log_to_file(app: Flask, path: str) -> None:
    """Append a line to ``path`` at start and after every request (APP_LOG_FILE)."""
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(message)s"))
    app.logger.addHandler(handler)
    app.logger.setLevel(logging.INFO)
    app.logger.info("started release %s", app.config["RELEASE"])

    @app.after_request
    def log_request(response: Response) -> Response:
        app.logger.info("%s %s %s", request.method, request.full_path, response.status_code)
        return response


def _register_error_handlers(app: Flask) -> None:
    def render_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return render_template("error.html", code=code, name=error.name), code

    app.register_error_handler(NotFound, render_error)
    app.register_error_handler(InternalServerError, render_error)
