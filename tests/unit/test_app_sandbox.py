"""The app role runs release hooks and one-off commands in the gunicorn service's sandbox: its
list of systemd-run properties (roles/app/vars/main.yml, app__sandbox_properties) must carry
every hardening directive of the gunicorn unit, so the two cannot drift apart."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "roles" / "gunicorn" / "templates" / "gunicorn.service.j2"
APP_VARS = ROOT / "roles" / "app" / "vars" / "main.yml"


def unit_sandbox() -> list[str]:
    """The directives of the unit's "# Sandbox" block, up to the next section."""
    lines: list[str] = []
    in_sandbox = False
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if line == "# Sandbox":
            in_sandbox = True
            continue
        if in_sandbox and line.startswith("["):
            break
        if in_sandbox and line and not line.startswith("#"):
            lines.append(line)
    return lines


def app_properties() -> list[str]:
    return yaml.safe_load(APP_VARS.read_text())["app__sandbox_properties"]


def key(directive: str) -> str:
    return directive.split("=", 1)[0]


def test_unit_has_a_sandbox_block() -> None:
    assert len(unit_sandbox()) > 10, "no '# Sandbox' block found in the gunicorn unit template"


def test_every_hardening_directive_of_the_unit_is_in_the_app_sandbox() -> None:
    missing = sorted(
        Counter(key(d) for d in unit_sandbox()) - Counter(key(p) for p in app_properties())
    )
    assert not missing, f"app__sandbox_properties lacks the gunicorn unit's {missing}"


def test_literal_values_match() -> None:
    # Values the unit templates from gunicorn_* variables (paths, families, umask) are the app
    # role's own; every literal one must be the same.
    props = Counter(app_properties())
    differing = [d for d in unit_sandbox() if "{{" not in d and props[d] == 0]
    assert not differing, f"app__sandbox_properties differs from the gunicorn unit on {differing}"
