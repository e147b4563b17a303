"""flaskstack.web.app_install_plan: whether a release installs the app itself
(app_pip_install_app) and which Gunicorn it gets (app_wsgi_server_package or the app's own
requirement), decided from the source's files; the app role feeds it a dir or package source's
files on the controller (preflight) and a git source's from the checkout (build.yml)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "app_install", ROOT / "plugins" / "filter" / "app_install.py"
)
assert _spec and _spec.loader
app_install = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(app_install)
plan = app_install.app_install_plan

OURS = "gunicorn==27.0.1"
PROJECT = '[build-system]\nrequires = ["setuptools"]\n[project]\nname = "shop"\nversion = "1"\n'


def source(
    pyproject: str | None = None, setup_py: bool = False, requirements: str | None = None
) -> dict[str, Any]:
    return {"pyproject": pyproject, "setup_py": setup_py, "requirements": requirements}


# (app_pip_install_app, source type, source, whether the app is installed)
INSTALL = [
    ("auto", "dir", source(PROJECT), True),
    ("auto", "dir", source('[project]\nname = "shop"\n'), True),
    ("auto", "dir", source("[build-system]\nrequires = []\n"), True),
    ("auto", "git", source(setup_py=True), True),
    # A flat app: a requirements file and code, nothing to build a distribution from.
    ("auto", "dir", source(requirements="flask==3.1.3\n"), False),
    ("auto", "git", source(), False),
    # pyproject.toml that only configures tools is no project (pip would fail on it).
    ("auto", "dir", source("[tool.ruff]\nline-length = 100\n"), False),
    # A broken pyproject.toml: the installer says what is wrong with it.
    ("auto", "dir", source("[project\n"), True),
    # A wheel or sdist is always installed.
    ("auto", "package", source(), True),
    (True, "dir", source(PROJECT), True),
    (True, "package", source(), True),
    (False, "dir", source(PROJECT), False),
    (False, "package", source(), False),
    (False, "dir", source(), False),
]


@pytest.mark.parametrize(("setting", "source_type", "found", "installed"), INSTALL)
def test_the_app_is_installed_when_it_is_a_project(
    setting: Any, source_type: str, found: dict[str, Any], installed: bool
) -> None:
    result = plan(found, install_app=setting, source_type=source_type, wsgi_server_package=OURS)
    assert result["install_app"] is installed
    assert result["problems"] == []


@pytest.mark.parametrize("source_type", ["dir", "git"])
def test_true_with_a_source_that_is_no_project_is_named(source_type: str) -> None:
    result = plan(source(requirements="flask\n"), install_app=True, source_type=source_type)
    assert len(result["problems"]) == 1
    assert result["problems"][0].startswith(
        f"app_pip_install_app is true, but the {source_type} source is not a Python project"
    )


# (requirements file, what is added besides it, the note's start, the problem's start)
GUNICORN = [
    # No Gunicorn in the app's requirements: ours.
    ("flask==3.1.3\n", [OURS], None, None),
    (None, [OURS], None, None),
    # A bare name constrains nothing: ours pins it.
    ("flask\ngunicorn\n", [OURS], None, None),
    ("# gunicorn==21.2.0\nflask\n", [OURS], None, None),
    ("flask  # not gunicorn==21.2.0\n", [OURS], None, None),
    ("gunicorn-tools==1.0\n", [OURS], None, None),
    # The app's pin wins, and is said: any case, with extras, markers, hashes, continuations.
    (
        "flask\ngunicorn==21.2.0\n",
        [],
        "app_requirements_file 'requirements.txt' pins gunicorn==21.2.0",
        None,
    ),
    (
        "Gunicorn==23.0.0\n",
        [],
        "app_requirements_file 'requirements.txt' pins Gunicorn==23.0.0",
        None,
    ),
    (
        "gunicorn[gevent]==22.0.0\n",
        [],
        "app_requirements_file 'requirements.txt' pins gunicorn[gevent]==22.0.0",
        None,
    ),
    (
        'gunicorn==21.2.0 ; python_version >= "3.8"\n',
        [],
        "app_requirements_file 'requirements.txt' pins gunicorn==21.2.0",
        None,
    ),
    (
        "gunicorn==21.2.0 \\\n    --hash=sha256:3213aa5e\n",
        [],
        "app_requirements_file 'requirements.txt' pins gunicorn==21.2.0",
        None,
    ),
    (
        "gunicorn == 20.1.0\n",
        [],
        "app_requirements_file 'requirements.txt' pins gunicorn==20.1.0",
        None,
    ),
    ("gunicorn==20.*\n", [], "app_requirements_file 'requirements.txt' pins gunicorn==20.*", None),
    # Another constraint: the app's wins too, the installer resolves it.
    (
        "gunicorn>=21\n",
        [],
        "app_requirements_file 'requirements.txt' constrains Gunicorn (gunicorn>=21)",
        None,
    ),
    (
        "gunicorn~=20.0\n",
        [],
        "app_requirements_file 'requirements.txt' constrains Gunicorn (gunicorn~=20.0)",
        None,
    ),
    ("gunicorn<=20.1\n", [], "app_requirements_file 'requirements.txt' constrains Gunicorn", None),
    (
        "gunicorn @ https://files.example/gunicorn-23.0.0-py3-none-any.whl\n",
        [],
        "app_requirements_file 'requirements.txt' constrains Gunicorn",
        None,
    ),
    # Below the roles' range (>= 20.1): a problem naming both variables.
    (
        "gunicorn==19.9.0\n",
        [],
        None,
        "app_requirements_file 'requirements.txt' asks for gunicorn==19.9.0",
    ),
    (
        "GUNICORN==20.0.4\n",
        [],
        None,
        "app_requirements_file 'requirements.txt' asks for GUNICORN==20.0.4",
    ),
    ("gunicorn==20\n", [], None, "app_requirements_file 'requirements.txt' asks for gunicorn==20"),
    ("gunicorn<20\n", [], None, "app_requirements_file 'requirements.txt' asks for gunicorn<20"),
    (
        "gunicorn<20.1.0\n",
        [],
        None,
        "app_requirements_file 'requirements.txt' asks for gunicorn<20.1.0",
    ),
    (
        "gunicorn~=20.0.4\n",
        [],
        None,
        "app_requirements_file 'requirements.txt' asks for gunicorn~=20.0.4",
    ),
    (
        "gunicorn~=19.9\n",
        [],
        None,
        "app_requirements_file 'requirements.txt' asks for gunicorn~=19.9",
    ),
    (
        "gunicorn==20.0.*\n",
        [],
        None,
        "app_requirements_file 'requirements.txt' asks for gunicorn==20.0.*",
    ),
    (
        "gunicorn>=19,<20\n",
        [],
        None,
        "app_requirements_file 'requirements.txt' asks for gunicorn<20,>=19",
    ),
]


@pytest.mark.parametrize(("requirements", "added", "note", "problem"), GUNICORN)
def test_the_apps_own_gunicorn_wins(
    requirements: str | None, added: list[str], note: str | None, problem: str | None
) -> None:
    result = plan(
        source(PROJECT, requirements=requirements),
        source_type="dir",
        requirements_file="requirements.txt",
        wsgi_server_package=OURS,
    )
    assert result["wsgi_server_packages"] == added
    # The first note says whose Gunicorn the release gets (a second one may warn about reloads).
    assert [n[: len(note)] for n in result["notes"][:1]] == ([note] if note else [])
    assert [p[: len(problem)] for p in result["problems"]] == ([problem] if problem else [])
    if problem:
        assert "app_wsgi_server_package ('gunicorn==27.0.1')" in result["problems"][0]
        assert ">= 20.1" in result["problems"][0]
    if note:
        assert "app_wsgi_server_package 'gunicorn==27.0.1'" in result["notes"][0]


def test_another_wsgi_server_package_is_left_alone() -> None:
    # Only a Gunicorn of ours gives way to the app's Gunicorn.
    result = plan(
        source(PROJECT, requirements="gunicorn==21.2.0\n"), wsgi_server_package="waitress==3.0.2"
    )
    assert result["wsgi_server_packages"] == ["waitress==3.0.2"]
    assert result["notes"] == [] and result["problems"] == []


def test_the_extras_of_ours_count_as_gunicorn() -> None:
    result = plan(
        source(PROJECT, requirements="gunicorn==23.0.0\n"),
        wsgi_server_package="Gunicorn[gthread]==27.0.1",
    )
    assert result["wsgi_server_packages"] == []


def test_both_problems_are_named_at_once() -> None:
    result = plan(source(requirements="gunicorn==19.9.0\n"), install_app=True, source_type="dir")
    assert [p.split(" ", 1)[0] for p in result["problems"]] == [
        "app_pip_install_app",
        "app_requirements_file",
    ]


# (the app's requirement, whether the run warns that reloads may lose a request)
RELOADS = [
    ("gunicorn==23.0.0\n", True),
    ("gunicorn==27.0.0\n", True),
    ("gunicorn<27\n", True),
    ("gunicorn~=23.0\n", True),
    ("gunicorn==27.0.1\n", False),
    ("gunicorn>=21\n", False),
    ("gunicorn~=27.0\n", False),
]


@pytest.mark.parametrize(("requirements", "warned"), RELOADS)
def test_a_gunicorn_before_clean_reloads_is_warned_about(requirements: str, warned: bool) -> None:
    result = plan(source(PROJECT, requirements=requirements), wsgi_server_package=OURS)
    warnings = [n for n in result["notes"] if "may get a 502" in n]
    assert len(warnings) == (1 if warned else 0), result["notes"]
    assert result["problems"] == []
