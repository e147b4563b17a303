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
APP_DEFAULTS = ROOT / "roles" / "app" / "defaults" / "main.yml"
GUNICORN_DEFAULTS = ROOT / "roles" / "gunicorn" / "defaults" / "main.yml"
WIRING = ROOT / "playbooks" / "vars" / "wiring.yml"

# The unit's directives that take a gunicorn_* variable, and the app role's variable for each.
TEMPLATED = {
    "UMask": ("gunicorn_umask", "app_sandbox_umask"),
    "RestrictAddressFamilies": ("gunicorn_address_families", "app_sandbox_address_families"),
    "ReadWritePaths": ("gunicorn_read_write_paths", "app_sandbox_read_write_paths"),
}


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


def test_templated_directives_use_the_app_roles_own_variables() -> None:
    # Every directive the unit takes from a gunicorn_* variable takes the matching app_sandbox_*
    # variable in the app role, so hooks see what the service sees once the two are wired.
    templated = {key(d): d for d in unit_sandbox() if "{{" in d}
    assert set(templated) == set(TEMPLATED), f"unit directives from variables: {sorted(templated)}"
    props = {key(p): p for p in app_properties()}
    for directive, (gunicorn_var, app_var) in TEMPLATED.items():
        assert gunicorn_var in templated[directive], templated[directive]
        assert app_var in props[directive], (
            f"{directive}: {props[directive]} does not use {app_var}"
        )


def test_sandbox_defaults_agree_and_are_wired() -> None:
    app = yaml.safe_load(APP_DEFAULTS.read_text())
    gunicorn = yaml.safe_load(GUNICORN_DEFAULTS.read_text())
    wiring = yaml.safe_load(WIRING.read_text())
    for gunicorn_var, app_var in TEMPLATED.values():
        assert app[app_var] == gunicorn[gunicorn_var], (
            f"{app_var} and {gunicorn_var} defaults differ"
        )
        wired = wiring.get(app_var, "")
        assert f"{gunicorn_var} | default(" in wired, (
            f"wiring.yml does not set {app_var} from {gunicorn_var}"
        )
        # The wired fallback is the gunicorn role's default, written as a Jinja literal.
        fallback = wired.split(f"{gunicorn_var} | default(", 1)[1].rsplit(")", 1)[0]
        assert yaml.safe_load(fallback) == gunicorn[gunicorn_var], (
            f"wiring.yml's fallback for {app_var}"
        )
