"""Filter flaskstack.web.app_install_plan: what a release's virtualenv gets besides its
requirements file, decided from the source (flaskstack.web.app, app_pip_install_app `auto`).

- The app itself is installed (`pip install <release>`) when app_pip_install_app is true, or
  when it is `auto` and the source is a project: a pyproject.toml with a [project] or a
  [build-system] table (one that only configures tools, such as [tool.ruff], is not), or a
  setup.py. A package source (a wheel or sdist) is always installed. `true` with a source that is
  not a project is a problem named after the variable: the installer would fail late with its own
  message ("does not appear to be a Python project").
- The WSGI server: when the app's requirements file names Gunicorn with a version constraint,
  the app's constraint wins and app_wsgi_server_package is not added (both in one resolution is
  uv's "unsatisfiable" when they differ). A constraint that admits no Gunicorn the roles support
  (>= 20.1: flaskstack.web.gunicorn's configuration uses gunicorn.systemd, post_worker_init,
  child_exit and on_reload) is a problem named after app_requirements_file and
  app_wsgi_server_package. A bare `gunicorn` (no version) constrains nothing: the pinned
  app_wsgi_server_package is added as usual.

Only the requirements file itself is read (not the files it includes with -r or -c).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

# The oldest Gunicorn flaskstack.web.gunicorn's configuration works with (gunicorn.systemd,
# post_worker_init, child_exit, on_reload).
SUPPORTED = Version("20.1")
SUPPORTED_TEXT = ">= 20.1"
# The first Gunicorn whose gthread workers let their keep-alive connections end when they stop
# gracefully: before it, a reload resets connections Nginx holds to the old workers, and a
# request in flight then gets a 502 (molecule/docsapp with gunicorn==23.0.0: Nginx logged 16
# resets in 6 reloads, 2 of ~11 deploys and rollbacks under load lost one request; 27.0.1: none).
CLEAN_RELOAD = Version("27.0.1")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_lines(text: str) -> Iterator[str]:
    """The requirement lines of a pip requirements file: continuations joined, comments,
    blank lines and option lines (-r, -c, --index-url, ...) dropped, per-requirement options
    (--hash=...) cut off."""
    for raw in re.sub(r"\\\r?\n", " ", text).splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line or line.startswith("-"):
            continue
        yield re.split(r"\s+--?[A-Za-z]", line, maxsplit=1)[0].strip()


def gunicorn_requirements(text: str | None) -> list[Requirement]:
    """Every requirement of the file that names Gunicorn (any case, with or without extras)."""
    found = []
    for line in _requirement_lines(text or ""):
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            # A path, a URL without a name, an editable: not a requirement on Gunicorn by name.
            continue
        if _canonical(requirement.name) == "gunicorn":
            found.append(requirement)
    return found


def _release(text: str, strip: bool = True) -> tuple[int, ...] | None:
    """The release numbers of a version (20.1.0 -> (20, 1), with strip), none when invalid."""
    try:
        release = Version(text).release
    except InvalidVersion:
        return None
    while strip and len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    return release


def _admits_supported(requirement: Requirement, lowest: Version = SUPPORTED) -> bool:
    """Whether some Gunicorn >= lowest (20.1) can satisfy the requirement's version constraint,
    judged from its upper bounds (a lower bound never excludes every newer release)."""
    floor = lowest.release
    for spec in requirement.specifier:
        operator, version = spec.operator, spec.version
        if operator in ("==", "!=") and version.endswith(".*"):
            if operator == "==":
                prefix = _release(version[:-2], strip=False)
                if prefix is not None and prefix < floor[: len(prefix)]:
                    return False
            continue
        if operator in ("==", "===", "<="):
            release = _release(version)
            if release is not None and release < floor:
                return False
        elif operator == "<":
            release = _release(version)
            if release is not None and release <= floor:
                return False
        elif operator == "~=":
            release = _release(version, strip=False)
            if release is not None and len(release) >= 2:
                upper = (*release[:-2], release[-2] + 1)
                if upper <= floor:
                    return False
    return True


def is_project(pyproject: str | None, setup_py: bool) -> bool:
    """A pyproject.toml with [project] or [build-system], or a setup.py."""
    if setup_py:
        return True
    if pyproject is None:
        return False
    try:
        data = tomllib.loads(pyproject)
    except tomllib.TOMLDecodeError:
        # Let the installer say what is wrong with it.
        return True
    return "project" in data or "build-system" in data


def app_install_plan(
    source: Mapping[str, Any],
    install_app: Any = "auto",
    source_type: str = "dir",
    requirements_file: str = "requirements.txt",
    wsgi_server_package: str = "gunicorn==27.0.1",
) -> dict[str, Any]:
    """What to install besides the requirements file.

    `source`: `pyproject` (the text of the source's top-level pyproject.toml, or none),
    `setup_py` (whether it has a top-level setup.py) and `requirements` (the text of the
    requirements file, or none). Returns `install_app` (bool), `project` (bool),
    `wsgi_server_packages` (app_wsgi_server_package, or nothing when the requirements constrain
    Gunicorn), `notes` (what to tell the user) and `problems` (messages naming the variables)."""
    project = source_type == "package" or is_project(
        source.get("pyproject"), bool(source.get("setup_py"))
    )
    problems: list[str] = []
    notes: list[str] = []

    if install_app == "auto":
        install = project
    else:
        install = bool(install_app)
        if install and not project:
            problems.append(
                f"app_pip_install_app is true, but the {source_type} source is not a Python project"
                " (no pyproject.toml with a [project] or [build-system] table, no setup.py at its"
                " top), so the installer could not install it. Set app_pip_install_app to auto"
                " (install it only when it is a project) or false: an app that is not installed is"
                " imported from the release directory, Gunicorn's working directory."
            )

    ours: list[str] = [wsgi_server_package] if wsgi_server_package else []
    try:
        ours_is_gunicorn = bool(ours) and _canonical(Requirement(ours[0]).name) == "gunicorn"
    except InvalidRequirement:
        ours_is_gunicorn = False
    constrained = [
        r for r in gunicorn_requirements(source.get("requirements")) if r.specifier or r.url
    ]
    if constrained and ours_is_gunicorn:
        shown = ", ".join(str(r) for r in constrained)
        unsupported = [str(r) for r in constrained if not _admits_supported(r)]
        pinned = all(
            r.specifier and all(s.operator in ("==", "===") for s in r.specifier)
            for r in constrained
        )
        if unsupported:
            problems.append(
                f"app_requirements_file '{requirements_file}' asks for {', '.join(unsupported)},"
                f" which no Gunicorn the roles support satisfies (they need {SUPPORTED_TEXT}:"
                " flaskstack.web.gunicorn's configuration uses gunicorn.systemd, post_worker_init,"
                " child_exit and on_reload). The app's requirements file wins over"
                f" app_wsgi_server_package ('{wsgi_server_package}') when it names Gunicorn:"
                f" raise it to {SUPPORTED_TEXT}, or remove it to get app_wsgi_server_package."
            )
        elif pinned:
            notes.append(
                f"app_requirements_file '{requirements_file}' pins {shown}: the release gets that"
                f" Gunicorn instead of app_wsgi_server_package '{wsgi_server_package}'."
            )
        else:
            notes.append(
                f"app_requirements_file '{requirements_file}' constrains Gunicorn ({shown}): the"
                f" installer resolves it; app_wsgi_server_package '{wsgi_server_package}' is not"
                " added."
            )
        if not unsupported and not all(_admits_supported(r, CLEAN_RELOAD) for r in constrained):
            notes.append(
                f"app_requirements_file '{requirements_file}' keeps Gunicorn below"
                f" {CLEAN_RELOAD} ({shown}): before it, Gunicorn resets the connections of"
                " the workers a reload stops, so a request in flight may get a 502 from"
                f" Nginx during a deploy. Allow >= {CLEAN_RELOAD} for reloads that lose no"
                " request."
            )
        ours = []

    return {
        "install_app": install,
        "project": project,
        "wsgi_server_packages": ours,
        "notes": notes,
        "problems": problems,
    }


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"app_install_plan": app_install_plan}
