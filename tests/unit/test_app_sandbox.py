"""The app role runs release hooks and one-off commands in the gunicorn service's sandbox: its
list of systemd-run properties (roles/app/vars/main.yml, app__sandbox_properties) must carry
every hardening directive of the gunicorn unit, so the two cannot drift apart. The processes
role's units take the same directives from the collection's one list of them (the filter
flaskstack.web.systemd_sandbox), which must be the gunicorn unit's."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from typing import Any

import jinja2
import yaml

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "roles" / "gunicorn" / "templates" / "gunicorn.service.j2"
APP_VARS = ROOT / "roles" / "app" / "vars" / "main.yml"
APP_DEFAULTS = ROOT / "roles" / "app" / "defaults" / "main.yml"
GUNICORN_DEFAULTS = ROOT / "roles" / "gunicorn" / "defaults" / "main.yml"
WIRING = ROOT / "playbooks" / "vars" / "wiring.yml"
PROCESSES = ROOT / "roles" / "processes"

# The unit's directives that take a gunicorn_* variable, and the app role's variable for each.
TEMPLATED = {
    "UMask": ("gunicorn_umask", "app_sandbox_umask"),
    "RestrictAddressFamilies": ("gunicorn_address_families", "app_sandbox_address_families"),
    "ReadWritePaths": ("gunicorn_read_write_paths", "app_sandbox_read_write_paths"),
}


def unit_sandbox(text: str | None = None) -> list[str]:
    """The directives of a unit's "# Sandbox" block (the gunicorn unit template's by default), up
    to the next section."""
    lines: list[str] = []
    in_sandbox = False
    for raw in (UNIT.read_text() if text is None else text).splitlines():
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


def _filters(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "plugins" / "filter" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SYSTEMD = _filters("systemd")
# The processes role's sandbox settings, each the variable the gunicorn unit takes there.
PROCESSES_TEMPLATED = {
    "UMask": ("gunicorn_umask", "processes_sandbox_umask"),
    "RestrictAddressFamilies": ("gunicorn_address_families", "processes_sandbox_address_families"),
    "ReadWritePaths": ("gunicorn_read_write_paths", "processes_sandbox_read_write_paths"),
}


def test_the_shared_list_is_the_gunicorn_units_sandbox() -> None:
    # The same directives in the same order; the literal ones equal, the three from variables
    # made from the filter's input.
    shared = SYSTEMD.systemd_sandbox(
        {"umask": "0027", "read_write_paths": ["/d", "-/l"], "address_families": ["AF_UNIX"]}
    )
    unit = unit_sandbox()
    assert [key(d) for d in shared] == [key(d) for d in unit]
    assert [d for d in shared if key(d) not in TEMPLATED] == [d for d in unit if "{{" not in d]
    assert {key(d): d for d in shared if key(d) in TEMPLATED} == {
        "UMask": "UMask=0027",
        "ReadWritePaths": "ReadWritePaths=/d -/l",
        "RestrictAddressFamilies": "RestrictAddressFamilies=AF_UNIX",
    }


def render_processes_units(values: dict[str, Any]) -> dict[str, str]:
    """The processes role's unit templates rendered as the role renders them: its vars/main.yml
    (the sandbox from the role's variables through the shared filter) and an entry each."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True)
    env.filters["flaskstack.web.systemd_sandbox"] = SYSTEMD.systemd_sandbox
    env.filters["flaskstack.web.systemd_command"] = SYSTEMD.systemd_command
    role_vars = yaml.safe_load((PROCESSES / "vars" / "main.yml").read_text())
    scope: dict[str, Any] = {
        **yaml.safe_load((PROCESSES / "defaults" / "main.yml").read_text()),
        "app_name": "shop",
        **values,
        "ansible_managed": "Ansible managed",
        "ansible_facts": {"systemd": {"version": 257}},
    }
    for name in (
        "processes_app_name",
        "processes_user",
        "processes_group",
        "processes_app_root",
        "processes_env_file",
        "processes_data_dir",
        "processes_log_dir",
    ):
        scope[name] = env.from_string(scope[name]).render(scope)
    for name in (
        "processes__marker",
        "processes__current_link",
        "processes__venv_bin",
        "processes__search_path",
    ):
        scope[name] = env.from_string(role_vars[name]).render(scope)
    scope["processes__sandbox"] = yaml.safe_load(
        env.from_string(role_vars["processes__sandbox"]).render(scope)
    )
    unit = {
        "name": "rq",
        "command": ["rq", "worker"],
        "instances": 1,
        "stop_signal": "SIGTERM",
        "stop_timeout": 30,
        "singleton": False,
        "on_calendar": "hourly",
        "randomized_delay": 0,
        "persistent": True,
    }
    return {
        template.name: env.from_string(template.read_text()).render(scope, processes__unit=unit)
        for template in sorted((PROCESSES / "templates").glob("*.service.j2"))
    }


def test_the_processes_units_have_the_gunicorn_units_sandbox() -> None:
    values = {
        "processes_sandbox_umask": "0077",
        "processes_sandbox_address_families": ["AF_UNIX", "AF_INET"],
        "processes_sandbox_read_write_paths": ["/srv/uploads"],
    }
    units = render_processes_units(values)
    assert set(units) == {"worker.service.j2", "job.service.j2"}
    unit = unit_sandbox()
    for name, text in units.items():
        sandbox = unit_sandbox(text)
        assert [key(d) for d in sandbox] == [key(d) for d in unit], name
        assert [d for d in sandbox if key(d) not in TEMPLATED] == [
            d for d in unit if "{{" not in d
        ], name
        assert {key(d): d for d in sandbox if key(d) in TEMPLATED} == {
            "UMask": "UMask=0077",
            "ReadWritePaths": "ReadWritePaths=/var/lib/shop -/var/log/shop /srv/uploads",
            "RestrictAddressFamilies": "RestrictAddressFamilies=AF_UNIX AF_INET",
        }, name


def test_processes_sandbox_defaults_agree_and_are_wired() -> None:
    processes = yaml.safe_load((PROCESSES / "defaults" / "main.yml").read_text())
    gunicorn = yaml.safe_load(GUNICORN_DEFAULTS.read_text())
    wiring = yaml.safe_load(WIRING.read_text())
    for gunicorn_var, processes_var in PROCESSES_TEMPLATED.values():
        assert processes[processes_var] == gunicorn[gunicorn_var], processes_var
        wired = wiring.get(processes_var, "")
        assert f"{gunicorn_var} | default(" in wired, f"wiring.yml does not set {processes_var}"
        fallback = wired.split(f"{gunicorn_var} | default(", 1)[1].rsplit(")", 1)[0]
        assert yaml.safe_load(fallback) == gunicorn[gunicorn_var], processes_var
