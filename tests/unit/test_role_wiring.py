"""Values the roles share. A role used alone (another play, include_role without public, no app
role at all) cannot see the app role's defaults: gunicorn, processes and tls then fall back to
their own defaults, which must be the app role's, or the roles would disagree by default about
where the app lives. The playbooks' wiring (playbooks/vars/wiring.yml) names no literal of its
own."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

# <role variable>: the app role's variable it follows when that is visible.
FOLLOWS = {
    "gunicorn_app_name": "app_name",
    "gunicorn_user": "app_user",
    "gunicorn_group": "app_group",
    "gunicorn_app_root": "app_root",
    "gunicorn_env_file": "app_env_file",
    "gunicorn_data_dir": "app_data_dir",
    "gunicorn_log_dir": "app_log_dir",
    "processes_app_name": "app_name",
    "processes_user": "app_user",
    "processes_group": "app_group",
    "processes_app_root": "app_root",
    "processes_env_file": "app_env_file",
    "processes_data_dir": "app_data_dir",
    "processes_log_dir": "app_log_dir",
    "tls_name": "app_name",
}


def resolve(
    defaults: dict[str, object], names: set[str], given: dict[str, object]
) -> dict[str, object]:
    """Render the named defaults (which may refer to each other) with `given` in scope."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    scope: dict[str, object] = dict(given)
    pending = {n: defaults[n] for n in names if n not in given}
    for _ in range(len(pending) + 1):
        for name, value in list(pending.items()):
            try:
                scope[name] = (
                    env.from_string(value).render(scope) if isinstance(value, str) else value
                )
            except jinja2.UndefinedError:
                continue
            del pending[name]
    assert not pending, f"could not resolve {sorted(pending)}"
    return scope


def defaults(role: str) -> dict[str, object]:
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


@pytest.mark.parametrize("app_name", [None, "shop"])
def test_alone_the_roles_agree_with_the_app_role(app_name: str | None) -> None:
    # None: nothing set anywhere; "shop": app_name from the inventory, the rest left to defaults.
    given = {} if app_name is None else {"app_name": app_name}
    app = resolve(defaults("app"), set(FOLLOWS.values()), given)
    others = {**defaults("gunicorn"), **defaults("processes"), **defaults("tls")}
    alone = resolve(others, set(FOLLOWS), given)
    wrong = {n: (alone[n], app[a]) for n, a in FOLLOWS.items() if alone[n] != app[a]}
    assert not wrong, f"role default vs the app role's: {wrong}"


def test_with_the_app_role_visible_they_follow_it() -> None:
    app = {n: f"/{n}/set" for n in FOLLOWS.values()}
    others = {**defaults("gunicorn"), **defaults("processes"), **defaults("tls")}
    follow = resolve(others, set(FOLLOWS), app)
    assert {n: follow[n] for n in FOLLOWS} == {n: app[a] for n, a in FOLLOWS.items()}


def test_the_wiring_has_no_default_app_name_of_its_own() -> None:
    assert "flaskapp" not in (ROOT / "playbooks" / "vars" / "wiring.yml").read_text()


def test_the_singletons_go_to_the_first_app_host_or_the_first_host_of_the_play() -> None:
    """processes_singleton_host: groups['app'][0] in inventory order, whatever --limit leaves
    in the play (so no second copy starts elsewhere), or the play's first host without an app
    group."""
    env = jinja2.Environment(undefined=jinja2.ChainableUndefined)
    expression = env.from_string(defaults("processes")["processes_singleton_host"])
    plays = ["app2", "app3"]
    with_app = {"groups": {"app": ["app1", "app2", "app3"]}, "ansible_play_hosts_all": plays}
    assert expression.render(with_app) == "app1"
    empty_app = {"groups": {"app": []}, "ansible_play_hosts_all": plays}
    assert expression.render(empty_app) == "app2"
    no_app = {"groups": {"web": ["web1"]}, "ansible_play_hosts_all": plays}
    assert expression.render(no_app) == "app2"
