"""playbooks/preflight.yml, imported first by site.yml: every role's input and the roles against
each other are checked on every host before any host changes.

site.yml runs against a three-host inventory on this machine (app1 in `app`, web1 in `web`,
both1 in both, all ansible_connection local), always with --check, so nothing here changes even
when a check lets bad input through. Facts come from a stub facts module (Debian 12 with
systemd), so the targets pass the supported-system check on any controller and the run exercises
only the input checks. A bad value on one host must stop every host inside the preflight play:
the failing task is in that play, no later play starts, and nothing changed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PREFLIGHT_PLAY = "Check the targets before changing anything"
LATER_PLAYS = ("App tier", "Web tier")

FACTS_MODULE = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule

module = AnsibleModule(argument_spec={}, supports_check_mode=True)
module.exit_json(changed=False, ansible_facts={
    "distribution": "Debian", "distribution_major_version": "12", "distribution_version": "12.11",
    "service_mgr": "systemd", "fqdn": "preflight.test"})
"""


def site(**overrides):
    """A good site: TLS with the tls role's certificate (tls_name defaults to app_name `sample`)."""
    return {
        "name": "sample",
        "server_names": ["sample.test", "www.sample.test"],
        "static_root": "/srv/sample/current/src/pkg/static",
        "tls": True,
        **overrides,
    }


# case id -> (extra vars, strings the output must contain). An empty list of strings: good input.
CASES: dict[str, tuple[dict, list[str]]] = {
    # The default site with the tls role's certificate, and a site with a certificate managed
    # outside flaskstack (already on the host, so its names are not checked against the tls role's).
    "good": (
        {
            "processes_workers": [{"name": "rq", "command": ["rq", "worker"], "instances": 2}],
            "processes_timers": [
                {"name": "report", "command": ["flask", "report"], "on_calendar": "*-*-* 03:00"}
            ],
            "nginx_sites": [
                site(),
                site(
                    name="legacy",
                    server_names=["legacy.test"],
                    tls_certificate="{{ preflight_tmp }}/legacy.crt",
                    tls_certificate_key="{{ preflight_tmp }}/legacy.key",
                ),
            ],
        },
        [],
    ),
    "bad_nginx_site": (
        {"nginx_sites": [{"name": "Bad Name", "server_names": ["sample.test"]}]},
        ["nginx_sites[0]"],
    ),
    # Ansible's spec check converts "no" to a bool; the roles' strict check stops it.
    "string_for_a_bool": (
        {"nginx_sites": [site(tls="no")]},
        ["nginx_sites[0].tls must be a bool, not the str 'no'"],
    ),
    "bad_gunicorn_workers": ({"gunicorn_workers": -1}, ["gunicorn_workers must be at least 0"]),
    # The workers and timers of the app hosts, named by their place in the list.
    "bad_processes_worker": (
        {"processes_workers": [{"name": "Bad Name", "command": []}]},
        ["processes_workers[0].name 'Bad Name'", "processes_workers[0].command []"],
    ),
    "bad_processes_calendar": (
        {
            "processes_timers": [
                {"name": "report", "command": ["x"], "on_calendar": "every tuesday"}
            ]
        },
        ["processes_timers[0].on_calendar 'every tuesday'"],
    ),
    "certificate_mismatch": (
        {"nginx_sites": [site(name="preflight-other")]},
        ["nginx_sites[0].tls_certificate", "tls_certificate_file", "tls_name 'sample'"],
    ),
    "server_names_not_covered": (
        {"nginx_sites": [site(server_names=["sample.test", "a.b.sample.test"])]},
        ["nginx_sites[0].server_names", "tls_server_names", "a.b.sample.test"],
    ),
    "requirements_missing": (
        {"app_requirements_file": "requirements/prod.txt"},
        ["app_requirements_file 'requirements/prod.txt' is not a file in app_source_dir"],
    ),
    "static_root_missing": (
        {"nginx_sites": [site(static_root="/srv/sample/current/assets")]},
        ["nginx_sites[0].static_root", "app_source_dir", "'assets'"],
    ),
    # The one setting for static files: app_static_dir, exposed as <release>/static, which is
    # the site's default static_root.
    "static_dir_missing": (
        {
            "app_static_dir": "src/pkg/assets",
            "nginx_sites": [{k: v for k, v in site().items() if k != "static_root"}],
        },
        ["nginx_sites[0].static_root", "app_static_dir", "'src/pkg/assets'"],
    ),
    # Each role has its own setting (each works alone); together they must agree.
    "acme_webroot_mismatch": (
        {
            "tls_mode": "acme",
            "tls_server_names": ["sample.test", "www.sample.test"],
            "tls_acme_webroot": "/srv/acme",
        },
        ["tls_acme_webroot '/srv/acme'", "nginx_acme_webroot '/var/www/acme'"],
    ),
    # On a host of both tiers the app's site proxies to the socket Gunicorn listens on.
    "socket_mismatch": (
        {"gunicorn_socket_path": "/run/sample/app.sock"},
        [
            "nginx_sites[0]",
            "'/run/sample/gunicorn.sock'",
            "gunicorn_socket_path '/run/sample/app.sock'",
        ],
    ),
    # What the three checks above expect, in one good run: app_static_dir at the site's default
    # static_root, one ACME webroot, the socket Gunicorn listens on.
    "wired": (
        {
            "app_static_dir": "src/pkg/static",
            "tls_mode": "acme",
            "tls_server_names": ["sample.test", "www.sample.test"],
            "tls_acme_webroot": "/srv/acme",
            "nginx_acme_webroot": "/srv/acme",
            "gunicorn_socket_path": "/run/sample/app.sock",
            "nginx_sites": [
                {
                    **{k: v for k, v in site().items() if k != "static_root"},
                    "upstream_socket": "/run/sample/app.sock",
                }
            ],
        },
        [],
    ),
    "requirements_file_missing": (
        {"app_requirements_file": "requirements-prod.txt"},
        ["app_requirements_file 'requirements-prod.txt'", "app_source_dir"],
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("preflight")
    source = tmp / "src"
    (source / "src" / "pkg" / "static").mkdir(parents=True)
    (source / "src" / "pkg" / "static" / "app.css").write_text("body {}\n")
    (source / "src" / "pkg" / "__init__.py").write_text("")
    (source / "requirements.txt").write_text("flask\n")
    (tmp / "legacy.crt").write_text("a certificate managed outside flaskstack\n")
    (tmp / "legacy.key").write_text("its key\n")
    library = tmp / "library"
    library.mkdir()
    (library / "preflight_test_facts.py").write_text(FACTS_MODULE)
    inventory = tmp / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "vars": {
                        "ansible_connection": "local",
                        "ansible_python_interpreter": sys.executable,
                        "preflight_tmp": str(tmp),
                        "app_name": "sample",
                        "app_source_type": "dir",
                        "app_source_dir": str(source),
                        "gunicorn_wsgi_app": "pkg.wsgi:app",
                        "tls_server_names": ["sample.test", "*.sample.test"],
                        "nginx_sites": [site()],
                    },
                    "children": {
                        "app": {"hosts": {"app1": {}, "both1": {}}},
                        "web": {"hosts": {"web1": {}, "both1": {}}},
                    },
                }
            }
        )
    )
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_LIBRARY": str(library),
        "ANSIBLE_FACTS_MODULES": "preflight_test_facts",
    }
    playbook = str(Path(sys.executable).parent / "ansible-playbook")

    def run(case: str) -> subprocess.CompletedProcess[str]:
        extra_vars, expected = CASES[case]
        command = [playbook, "--check", "-i", str(inventory), "playbooks/site.yml"]
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        if not expected:
            # Good input: only the `always`-tagged preflight runs its tasks; the later plays
            # start and select no task, so the roles never run against this machine.
            command += ["--tags", "preflight-test-selects-no-role-task"]
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )

    # A few at a time: all at once on two cores makes each run slow enough to hit its timeout.
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(CASES, pool.map(run, CASES), strict=True))


def recap(output: str) -> dict[str, dict[str, int]]:
    hosts = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.MULTILINE):
        hosts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return hosts


@pytest.mark.parametrize("case", [c for c, (_, expected) in CASES.items() if expected])
def test_bad_input_stops_every_host_in_preflight(
    case: str, runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    result = runs[case]
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for text in CASES[case][1]:
        assert text in output, f"{text!r} not in the output:\n{output}"
    # The first failure happens inside the preflight play.
    first_failure = re.search(r"^(fatal|failed): \[", result.stdout, re.MULTILINE)
    assert first_failure, output
    plays = re.findall(r"^PLAY \[(.*)\]", result.stdout[: first_failure.start()], re.MULTILINE)
    assert plays and plays[-1] == PREFLIGHT_PLAY, output
    # No later play started, on any host (any_errors_fatal), and nothing changed.
    started = re.findall(r"^PLAY \[(.*)\]", result.stdout, re.MULTILINE)
    assert started == [PREFLIGHT_PLAY], output
    hosts = recap(result.stdout)
    assert set(hosts) == {"app1", "web1", "both1"}, output
    assert all(counts["changed"] == 0 for counts in hosts.values()), output


@pytest.mark.parametrize("case", [c for c, (_, expected) in CASES.items() if not expected])
def test_good_input_passes_preflight(
    case: str, runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    result = runs[case]
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    started = re.findall(r"^PLAY \[(.*)\]", result.stdout, re.MULTILINE)
    assert started[0] == PREFLIGHT_PLAY, output
    assert any(play.startswith(LATER_PLAYS) for play in started[1:]), output
    # Every role's own validation ran in the preflight play, through its validate entry point.
    for role in ("app", "gunicorn", "processes", "tls", "nginx"):
        assert f"flaskstack.web.{role} : Validating arguments against arg spec 'validate'" in output
    hosts = recap(result.stdout)
    assert set(hosts) == {"app1", "web1", "both1"}, output
    assert all(c["failed"] == 0 and c["changed"] == 0 for c in hosts.values()), output


@pytest.mark.parametrize("role", ["app", "gunicorn", "nginx", "processes", "tls"])
def test_every_role_has_a_validate_entry_point_with_the_main_options(role: str) -> None:
    """include_role tasks_from: validate checks the arguments against the `validate` entry point."""
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    entry_points = specs["argument_specs"]
    assert entry_points["validate"]["options"] == entry_points["main"]["options"]
    assert (ROOT / "roles" / role / "tasks" / "validate.yml").is_file()
