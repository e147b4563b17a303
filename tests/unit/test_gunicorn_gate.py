"""The gunicorn role's gate (roles/gunicorn/files/gate.py), one case per setting that used to take
the site down: each bad setting is refused with the role variable that set it, a good release
passes both phases. The gate runs here with the tests' own Python (Flask and Gunicorn are in the
project's virtualenv), on gunicorn.conf.py rendered from the role's template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import pytest
from ansible_cli import ROOT

GATE = ROOT / "roles" / "gunicorn" / "files" / "gate.py"
TEMPLATE = ROOT / "roles" / "gunicorn" / "templates" / "gunicorn.conf.py.j2"

# The role's variables for gunicorn.conf.py (roles/gunicorn/defaults/main.yml).
DEFAULTS: dict[str, Any] = {
    "ansible_managed": "test",
    "gunicorn_app_name": "gate",
    "gunicorn_wsgi_app": "wsgi:app",
    "gunicorn_bind_address": "",
    "gunicorn_socket_path": "/run/gate/gunicorn.sock",
    "gunicorn_worker_class": "gthread",
    "gunicorn__worker_count": 2,
    "gunicorn_threads": 4,
    "gunicorn_timeout": 30,
    "gunicorn_graceful_timeout": 30,
    "gunicorn_keepalive": 5,
    "gunicorn_max_requests": 100000,
    "gunicorn_max_requests_jitter": 50000,
    "gunicorn_forwarded_allow_ips": "127.0.0.1,::1",
    "gunicorn_access_log": False,
    "gunicorn_access_log_format": "%(h)s",
    "gunicorn_extra_settings": {},
}

VARIABLES = {
    "wsgi_app": "gunicorn_wsgi_app",
    "worker_class": "gunicorn_worker_class",
    "workers": "gunicorn_workers",
    "threads": "gunicorn_threads",
    "timeout": "gunicorn_timeout",
}

GOOD_APP = """
import os
from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    return {"release": os.environ.get("APP_RELEASE", "")}
"""


def render(**settings: Any) -> str:
    env = jinja2.Environment(keep_trailing_newline=True)
    env.filters["to_json"] = json.dumps
    return env.from_string(TEMPLATE.read_text()).render(
        **{**DEFAULTS, **settings, "gunicorn_app_root": "/nonexistent/app"}
    )


def gate(
    tmp_path: Path,
    phase: str,
    app: str = GOOD_APP,
    health_status: list[int] | None = None,
    timeout: float = 30,
    **settings: Any,
) -> dict[str, Any]:
    release = tmp_path / "release"
    release.mkdir(exist_ok=True)
    (release / "wsgi.py").write_text(app)
    request = {
        "phases": phase.split(),
        "config": render(**settings),
        "release_dir": str(release),
        "release_id": "abc123",
        "variables": VARIABLES,
        "extra": sorted(settings.get("gunicorn_extra_settings", {})),
        "health": {
            "path": "/",
            "host": "gate.test",
            "status": health_status or [],
            "timeout": timeout,
        },
    }
    done = subprocess.run(
        [sys.executable, "-c", GATE.read_text()],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=timeout + 30,
        check=True,
    )
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("FLASKSTACK-GATE "), done.stdout
    return json.loads(last.removeprefix("FLASKSTACK-GATE "))


@pytest.mark.parametrize("phase", ["import", "serve", "import serve"])
def test_a_good_release_passes(tmp_path: Path, phase: str) -> None:
    answer = gate(tmp_path, phase)
    assert answer["ok"], answer


# (settings, app source, the variable the answer must name, words the problem must contain)
REFUSED = [
    ({"gunicorn_wsgi_app": "wsgi:application"}, GOOD_APP, "gunicorn_wsgi_app", "application"),
    ({"gunicorn_wsgi_app": "nosuchmodule:app"}, GOOD_APP, "gunicorn_wsgi_app", "nosuchmodule"),
    ({}, "raise RuntimeError('broken at import')\n", "gunicorn_wsgi_app", "broken at import"),
    # An app that needs a setting of the environment file the new run does not give it.
    ({}, "import os\nos.environ['DATABASE_URL']\n", "gunicorn_wsgi_app", "DATABASE_URL"),
    ({"gunicorn_worker_class": "gthreads"}, GOOD_APP, "gunicorn_worker_class", "gthreads"),
    (
        {"gunicorn_extra_settings": {"max_request": 5}},
        GOOD_APP,
        "gunicorn_extra_settings.max_request",
        "max_requests",
    ),
    (
        {"gunicorn_extra_settings": {"backlog": "lots"}},
        GOOD_APP,
        "gunicorn_extra_settings.backlog",
        "lots",
    ),
    # A setting of the role's given again in gunicorn_extra_settings: the extra one is loaded.
    (
        {"gunicorn_extra_settings": {"worker_class": "nosuch"}},
        GOOD_APP,
        "gunicorn_extra_settings.worker_class",
        "nosuch",
    ),
]


@pytest.mark.parametrize(("settings", "app", "variable", "words"), REFUSED)
def test_the_import_phase_names_the_variable(
    tmp_path: Path, settings: dict[str, Any], app: str, variable: str, words: str
) -> None:
    answer = gate(tmp_path, "import", app=app, **settings)
    assert not answer["ok"], answer
    assert answer["variable"] == variable, answer
    assert words in answer["problem"] + answer["detail"], answer


def test_the_serve_phase_judges_the_answer(tmp_path: Path) -> None:
    # Imports cleanly, fails every request: only starting it shows that.
    failing = GOOD_APP.replace(
        'return {"release"', 'raise RuntimeError("db down"); return {"release"'
    )
    answer = gate(tmp_path, "serve", app=failing)
    assert not answer["ok"] and answer["variable"] == "gunicorn_health_path", answer
    assert "500" in answer["problem"], answer
    # A 404 is below 500 (healthy by default) but not in gunicorn_health_status when that is [200].
    missing = GOOD_APP.replace('@app.get("/")', '@app.get("/elsewhere")')
    assert gate(tmp_path, "serve", app=missing)["ok"]
    answer = gate(tmp_path, "serve", app=missing, health_status=[200])
    assert not answer["ok"] and "404" in answer["problem"], answer


def test_the_serve_phase_sees_a_release_that_does_not_start(tmp_path: Path) -> None:
    answer = gate(tmp_path, "serve", app="raise SystemExit(4)\n")
    assert not answer["ok"], answer
    assert "does not start" in answer["problem"], answer
