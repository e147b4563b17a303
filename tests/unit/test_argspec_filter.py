"""flaskstack.web.argspec_type_errors: the strict type check every role runs after Ansible's
converting argument_specs check, from the same spec."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "argspec", ROOT / "plugins" / "filter" / "argspec.py"
)
assert _spec and _spec.loader
argspec = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(argspec)
errors = argspec.argspec_type_errors

NGINX = yaml.safe_load((ROOT / "roles/nginx/meta/argument_specs.yml").read_text())[
    "argument_specs"
]["main"]["options"]


def test_the_defaults_fit_their_spec() -> None:
    for role in sorted(
        p for p in (ROOT / "roles").iterdir() if (p / "meta/argument_specs.yml").is_file()
    ):
        options = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"][
            "main"
        ]["options"]
        defaults = yaml.safe_load((role / "defaults/main.yml").read_text())
        literal = {k: v for k, v in defaults.items() if not (isinstance(v, str) and "{{" in v)}
        assert errors(literal, options) == [], role.name


def site(**keys: object) -> dict[str, object]:
    return {"nginx_sites": [{"name": "a", "server_names": ["a.test"], **keys}]}


def test_a_good_site_passes() -> None:
    assert (
        errors(site(tls=True, rate_limits=[{"path": "/x", "rate": "5r/s", "burst": 3}]), NGINX)
        == []
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        # What Ansible's own check converts and lets through, and the role would then misread.
        (site(tls="no"), "nginx_sites[0].tls must be a bool, not the str 'no'"),
        (site(server_names="a.test,b.test"), "nginx_sites[0].server_names must be a list"),
        (site(security_headers="X-A=1"), "nginx_sites[0].security_headers must be a dict"),
        (
            site(rate_limits=[{"path": "/x", "rate": "5r/s", "nodelay": "yes"}]),
            "rate_limits[0].nodelay must be a bool",
        ),
        ({"nginx_gzip_types": "text/plain"}, "nginx_gzip_types must be a list"),
        (
            {"nginx_site_defaults": {"upstream_keepalive": "many"}},
            "nginx_site_defaults.upstream_keepalive must be a int",
        ),
        (
            {"nginx_worker_connections": None},
            "nginx_worker_connections must be a int, not the NoneType None",
        ),
        ({"nginx_server_tokens": 0}, "nginx_server_tokens must be a bool, not the int 0"),
    ],
)
def test_values_only_conversion_would_fit_are_named(
    values: dict[str, object], message: str
) -> None:
    found = errors(values, NGINX)
    assert len(found) == 1 and message in found[0], found


@pytest.mark.parametrize(
    "values",
    [
        {"nginx_worker_connections": "2048"},  # -e gives strings: digits are an int
        {"nginx_ssl_session_timeout": 1},  # a number is a fine str
        {"nginx_worker_processes": ["anything"]},  # raw
        {"not_an_option": "x"},  # unknown names are Ansible's check's to reject
    ],
)
def test_what_the_templates_read_correctly_passes(values: dict[str, object]) -> None:
    assert errors(values, NGINX) == []


def test_a_no_log_value_is_never_shown() -> None:
    options = {"app_secret_key": {"type": "str", "no_log": True}}
    found = errors({"app_secret_key": ["s3cr3t"]}, options)
    assert found == ["app_secret_key must be a str, not the list (value hidden: no_log)"]


APP = yaml.safe_load((ROOT / "roles/app/meta/argument_specs.yml").read_text())["argument_specs"][
    "main"
]["options"]


@pytest.mark.parametrize("value", ["auto", True, False])
def test_a_raw_option_takes_each_of_its_choices(value: object) -> None:
    # app_pip_install_app: a word or a bool, so `raw` with choices in argument_specs.
    assert APP["app_pip_install_app"]["type"] == "raw"
    assert errors({"app_pip_install_app": value}, APP) == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (1, "int 1"),  # 1 == True in Python: Ansible's choices check lets it through
        (0, "int 0"),
        ("true", "str 'true'"),
        ("no", "str 'no'"),
        ("Auto", "str 'Auto'"),
    ],
)
def test_a_raw_option_refuses_what_is_not_one_of_its_choices(value: object, kind: str) -> None:
    found = errors({"app_pip_install_app": value}, APP)
    assert found == [f"app_pip_install_app must be one of 'auto', True, False, not the {kind}"]
