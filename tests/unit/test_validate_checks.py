"""Each role's validate.yml: every value argument_specs cannot check is refused with a message that
names it, and several bad values at once are all named in one failure.

The checks a role makes once per input were one assert task each; they are one task per role now
(a task costs ~30-50 ms on every site.yml run). These cases prove the merged task still refuses
each value it took over, names the variable, and passes good input. One ansible-playbook run on
this machine (connection local), a play per case: each includes the role's `validate` entry
point (it only reads variables) and writes how it ended to a JSON file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_cli import ansible

BASE: dict[str, dict[str, Any]] = {
    # A git source: the app's checks read nothing on the controller.
    "app": {
        "app_name": "sample",
        "app_source_type": "git",
        "app_git_repo": "https://git.invalid/sample.git",
    },
    "gunicorn": {"gunicorn_app_name": "sample", "gunicorn_wsgi_app": "pkg.wsgi:app"},
    "tls": {"tls_name": "sample", "tls_server_names": ["sample.test"]},
    "nginx": {"nginx_sites": [{"name": "sample", "server_names": ["sample.test"]}]},
    "firewall": {},
    "processes": {
        "processes_app_name": "sample",
        "processes_workers": [{"name": "rq", "command": ["rq", "worker"], "instances": 2}],
        "processes_timers": [
            {"name": "report", "command": ["flask", "report"], "on_calendar": "Mon..Fri 09:00"}
        ],
    },
}

# A flat app on the controller (the fixture writes it): app.py and requirements files, no project.
FLAT: dict[str, Any] = {
    "app_source_type": "dir",
    "app_source_dir": "{{ validate_tmp }}/flat",
}

# (role, bad values, texts the failure message must contain); no texts: the input is good.
CASES: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    "app_good": ("app", {}, []),
    # The types come first, in the same task: a value only Ansible's conversion would take.
    "app_type": (
        "app",
        {"app_rollback": "no", "app_keep_releases": 0},
        ["flaskstack.web.app: app_rollback must be a bool"],
    ),
    # auto, true or false (`raw` with choices): Ansible's own check refuses a word such as "no",
    # and lets 1 through (1 == True); the strict check does not.
    "app_pip_install_app_int": (
        "app",
        {"app_pip_install_app": 1},
        [
            "flaskstack.web.app: app_pip_install_app must be one of 'auto', True, False,"
            " not the int 1"
        ],
    ),
    # A string for a command is the strict type check's (elements: list)...
    "app_build_commands_type": (
        "app",
        {"app_build_commands": [["pybabel", "compile"], "pybabel compile"]},
        ["flaskstack.web.app: app_build_commands[1] must be a list, not the str 'pybabel compile'"],
    ),
    # ...an argv that is not all strings, or empty, the role's.
    "app_build_commands": (
        "app",
        {"app_build_commands": [["pybabel", "compile"], ["sleep", 3]]},
        ["app_build_commands: every entry must be a non-empty list of argv strings"],
    ),
    "app_build_commands_empty": (
        "app",
        {"app_build_commands": [[]]},
        ["app_build_commands: every entry must be a non-empty list of argv strings"],
    ),
    "app_build_commands_good": (
        "app",
        {"app_build_commands": [["pybabel", "compile", "-d", "app/translations"]]},
        [],
    ),
    "app_log_links": (
        "app",
        {"app_log_links": ["logs", "../logs", "/var/log/x"]},
        ["app_log_links entries ['/var/log/x', '../logs'] must be plain paths"],
    ),
    # In a shared dir's link (its target is the app's data), over the static files, twice.
    "app_log_links_overlap": (
        "app",
        {"app_log_links": ["instance/logs", "static", "var/log", "var"]},
        ["app_log_links entries ['instance/logs', 'static', 'var/log'] must be plain paths"],
    ),
    "app_log_links_good": ("app", {"app_log_links": ["logs", "var/log"]}, []),
    # A dir source is judged on the controller: a flat app with only a requirements file that pins
    # its own Gunicorn is not installed and gets its Gunicorn...
    "app_flat_auto": ("app", {**FLAT, "app_requirements_file": "requirements.txt"}, []),
    # ...and must not be installed when asked to: named before anything changes.
    "app_flat_install_true": (
        "app",
        {**FLAT, "app_pip_install_app": True},
        ["app_pip_install_app is true, but the dir source is not a Python project"],
    ),
    # A pyproject.toml that only configures tools does not make a project.
    "app_tools_only_install_true": (
        "app",
        {**FLAT, "app_source_dir": "{{ validate_tmp }}/tools", "app_pip_install_app": True},
        ["app_pip_install_app is true, but the dir source is not a Python project"],
    ),
    "app_project_install_true": (
        "app",
        {**FLAT, "app_source_dir": "{{ validate_tmp }}/project", "app_pip_install_app": True},
        [],
    ),
    "app_old_gunicorn": (
        "app",
        {**FLAT, "app_requirements_file": "old-gunicorn.txt"},
        [
            "app_requirements_file 'old-gunicorn.txt' asks for gunicorn==19.9.0",
            "app_wsgi_server_package ('gunicorn==27.0.1')",
        ],
    ),
    "app_package_old_gunicorn": (
        "app",
        {
            "app_source_type": "package",
            "app_package_file": "{{ validate_tmp }}/sample-1.0-py3-none-any.whl",
            "app_requirements_file": "{{ validate_tmp }}/flat/old-gunicorn.txt",
        },
        ["old-gunicorn.txt' asks for gunicorn==19.9.0", "app_wsgi_server_package"],
    ),
    "app_name": (
        "app",
        {"app_name": "Bad Name"},
        ["app_name 'Bad Name' must be 1-31 lowercase letters"],
    ),
    "app_keep_releases": (
        "app",
        {"app_keep_releases": 0},
        ["app_keep_releases must be at least 1"],
    ),
    "app_log_rotate_keep": (
        "app",
        {"app_log_rotate_keep": 0},
        ["app_log_rotate_keep must be at least 1 (got 0)."],
    ),
    "app_root": (
        "app",
        {"app_root": "srv/x"},
        ["app_root must be an absolute path (got 'srv/x')."],
    ),
    "app_env_file": ("app", {"app_env_file": "env"}, ["app_env_file must be an absolute path"]),
    "app_sandbox_umask": ("app", {"app_sandbox_umask": "777"}, ["app_sandbox_umask ('777')"]),
    "app_sandbox_paths": (
        "app",
        {"app_sandbox_read_write_paths": ["rel"]},
        ["app_sandbox_read_write_paths (['rel'])"],
    ),
    "app_git_repo": ("app", {"app_git_repo": ""}, ["app_source_type 'git' needs app_git_repo."]),
    "app_release": ("app", {"app_release": "../x"}, ["app_release '../x' must be a plain name"]),
    "app_env": ("app", {"app_env": {"1BAD": "x"}}, ["app_env keys must be environment variable"]),
    "app_shared_dirs": (
        "app",
        {"app_shared_dirs": ["../up"]},
        ["app_shared_dirs entries ['../up']"],
    ),
    "app_source_exclude_dirs": (
        "app",
        {"app_source_exclude_dirs": ["/abs"]},
        ["app_source_exclude_dirs entries ['/abs']"],
    ),
    "app_static_dir": ("app", {"app_static_dir": "/abs/static"}, ["app_static_dir '/abs/static'"]),
    # The regular expressions of the merged task, templated in a variable (Jinja keeps "\\" as two
    # characters there, unlike in a `that:` condition): a parent directory part is refused...
    "app_static_dir_parent": (
        "app",
        {"app_static_dir": "src/../static"},
        ["app_static_dir 'src/../static' must be a path relative to the release"],
    ),
    "app_hooks_before_switch": (
        "app",
        {"app_hooks_before_switch": [[]]},
        ["app_hooks_before_switch: every entry must be a non-empty list"],
    ),
    "app_hooks_after_switch": (
        "app",
        {"app_hooks_after_switch": [[]]},
        ["app_hooks_after_switch: every entry must be a non-empty list"],
    ),
    "app_requirements_file": (
        "app",
        {
            "app_source_type": "package",
            "app_package_file": "/nowhere/sample-1.0-py3-none-any.whl",
            "app_requirements_file": "requirements.txt",
        },
        ["app_requirements_file 'requirements.txt' must be an absolute path"],
    ),
    "app_package_file": (
        "app",
        {
            "app_source_type": "package",
            "app_package_file": "/nowhere/sample-1.0-py3-none-any.whl",
            "app_requirements_file": "",
        },
        ["app_package_file '/nowhere/sample-1.0-py3-none-any.whl' is not a file on the controller"],
    ),
    "app_package_requirements": (
        "app",
        {
            "app_source_type": "package",
            "app_package_file": "{{ validate_tmp }}/sample-1.0-py3-none-any.whl",
            "app_requirements_file": "/nowhere/requirements.txt",
        },
        ["app_requirements_file '/nowhere/requirements.txt' is not a file on the controller"],
    ),
    "app_package_good": (
        "app",
        {
            "app_source_type": "package",
            "app_package_file": "{{ validate_tmp }}/sample-1.0-py3-none-any.whl",
            "app_requirements_file": "{{ validate_tmp }}/requirements.txt",
        },
        [],
    ),
    "app_several": (
        "app",
        {"app_keep_releases": 0, "app_release": "../x", "app_root": "rel"},
        ["app_keep_releases must be", "app_release '../x'", "app_root must be an absolute path"],
    ),
    "gunicorn_good": ("gunicorn", {}, []),
    "gunicorn_type": (
        "gunicorn",
        {"gunicorn_rollback_on_failure": "yes"},
        ["flaskstack.web.gunicorn: gunicorn_rollback_on_failure must be a bool"],
    ),
    "gunicorn_app_name": (
        "gunicorn",
        {"gunicorn_app_name": "Sample"},
        ["gunicorn_app_name 'Sample' must be lowercase letters"],
    ),
    # ...and a factory call with arguments, an IPv6 address and an e-mail address are accepted.
    "gunicorn_factory_and_ipv6": (
        "gunicorn",
        {
            "gunicorn_wsgi_app": "flaskr:create_app(test_config=None)",
            "gunicorn_bind_address": "[::1]:8000",
            "gunicorn_address_families": ["AF_UNIX", "AF_INET", "AF_INET6"],
        },
        [],
    ),
    "gunicorn_threads": (
        "gunicorn",
        {"gunicorn_threads": 0},
        ["gunicorn_threads must be at least 1 (got 0)."],
    ),
    "gunicorn_health_delay": (
        "gunicorn",
        {"gunicorn_health_delay": -1},
        ["gunicorn_health_delay must be at least 0 (got -1)."],
    ),
    "gunicorn_umask": (
        "gunicorn",
        {"gunicorn_umask": "22"},
        ['gunicorn_umask must be an octal mode string like "0660" (got 22).'],
    ),
    "gunicorn_tasks_max": (
        "gunicorn",
        {"gunicorn_tasks_max": 8},
        ["gunicorn_tasks_max 0 (no limit)"],
    ),
    "gunicorn_tasks_max below the workers' threads": (
        "gunicorn",
        {"gunicorn_workers": 20, "gunicorn_threads": 24, "gunicorn_tasks_max": 256},
        [
            "gunicorn_tasks_max 256 is below what gunicorn_workers 20 x (gunicorn_threads 24 + 1)"
            " + the master need (501)"
        ],
    ),
    "gunicorn_tasks_max below one automatic worker's threads": (
        "gunicorn",
        {"gunicorn_threads": 24, "gunicorn_tasks_max": 16},
        ["gunicorn_tasks_max 16 is below what gunicorn_workers 1 x (gunicorn_threads 24 + 1)"],
    ),
    "gunicorn_tasks_max fits one thread per sync worker": (
        "gunicorn",
        {
            "gunicorn_workers": 20,
            "gunicorn_threads": 24,
            "gunicorn_tasks_max": 256,
            "gunicorn_worker_class": "sync",
        },
        [],
    ),
    "gunicorn_log_dir": (
        "gunicorn",
        {"gunicorn_log_dir": "log"},
        ["gunicorn_log_dir must be an absolute"],
    ),
    "gunicorn_bind_address": (
        "gunicorn",
        {"gunicorn_bind_address": "nohost"},
        ["gunicorn_bind_address 'nohost' must be host:port"],
    ),
    "gunicorn_address_families": (
        "gunicorn",
        {"gunicorn_address_families": ["AF_INET"]},
        ["gunicorn_address_families ['AF_INET'] must hold"],
    ),
    "gunicorn_wsgi_app": (
        "gunicorn",
        {"gunicorn_wsgi_app": "pkg wsgi"},
        ["gunicorn_wsgi_app 'pkg wsgi'"],
    ),
    "gunicorn_health_path": (
        "gunicorn",
        {"gunicorn_health_path": "healthz"},
        ["gunicorn_health_path must start with / (is healthz)"],
    ),
    "gunicorn_health_status": (
        "gunicorn",
        {"gunicorn_health_status": [99]},
        ["gunicorn_health_status a list of HTTP statuses 100-599 (is [99])"],
    ),
    "gunicorn_several": (
        "gunicorn",
        {"gunicorn_threads": 0, "gunicorn_timeout": 0, "gunicorn_socket_mode": "9"},
        ["gunicorn_threads must be", "gunicorn_timeout must be", "gunicorn_socket_mode must be"],
    ),
    "tls_good": ("tls", {}, []),
    "tls_type": (
        "tls",
        {"tls_acme_staging": "no"},
        ["flaskstack.web.tls: tls_acme_staging must be a bool"],
    ),
    # A wildcard and an IP address are names; a space is not.
    "tls_names_good": ("tls", {"tls_server_names": ["*.sample.test", "10.0.0.1"]}, []),
    "tls_names": (
        "tls",
        {"tls_server_names": ["sample.test", "bad name"]},
        ["tls_server_names a non-empty list of DNS names", "(is ['sample.test', 'bad name'])"],
    ),
    "tls_paths": (
        "tls",
        {"tls_certificate_file": "/etc/ssl/x.pem", "tls_private_key_file": "/etc/ssl/x.pem"},
        ["tls_certificate_file and tls_private_key_file two absolute paths"],
    ),
    "tls_rsa_key_size": (
        "tls",
        {"tls_rsa_key_size": 1024},
        ["tls_rsa_key_size must be at least 2048"],
    ),
    "tls_lifetimes": (
        "tls",
        {"tls_selfsigned_days": 10, "tls_renew_before_days": 30},
        ["tls_selfsigned_days (10) must be greater than tls_renew_before_days (30)"],
    ),
    "tls_provided": ("tls", {"tls_mode": "provided"}, ["tls_mode 'provided' needs"]),
    "tls_acme": (
        "tls",
        {"tls_mode": "acme", "tls_server_names": ["10.0.0.1"]},
        ["tls_mode 'acme' needs", "DNS names only in tls_server_names"],
    ),
    "tls_acme_good": ("tls", {"tls_mode": "acme", "tls_acme_email": "ops@sample.test"}, []),
    "tls_acme_email": (
        "tls",
        {"tls_mode": "acme", "tls_acme_email": "ops at sample.test"},
        ["tls_mode 'acme' needs", "tls_acme_email empty or an address"],
    ),
    "nginx_good": ("nginx", {}, []),
    "nginx_type": (
        "nginx",
        {"nginx_gzip": "no", "nginx_worker_connections": 0},
        ["flaskstack.web.nginx: nginx_gzip must be a bool"],
    ),
    "nginx_role_wide": (
        "nginx",
        {"nginx_worker_connections": 1024, "nginx_worker_rlimit_nofile": 1024},
        ["flaskstack.web.nginx: invalid role settings", "(is 1024)"],
    ),
    "firewall_good": ("firewall", {}, []),
    "firewall_type": (
        "firewall",
        {"firewall_open_tcp_ports": "8080"},
        ["flaskstack.web.firewall: firewall_open_tcp_ports must be a list"],
    ),
    "firewall_port": (
        "firewall",
        {"firewall_ssh_port": 70000},
        ["firewall_ssh_port (is 70000)", "must be ports 1-65535"],
    ),
    "processes_good": ("processes", {}, []),
    "processes_type": (
        "processes",
        {"processes_workers": [{"name": "rq", "command": ["rq"], "singleton": "yes"}]},
        ["flaskstack.web.processes: processes_workers[0].singleton must be a bool"],
    ),
    # Each entry is named by its place in the list, every problem at once.
    "processes_workers": (
        "processes",
        {
            "processes_workers": [
                {"name": "rq", "command": ["rq", "worker"]},
                {"command": ["rq"]},
                {"name": "Bad/Name", "command": [], "instances": 0, "stop_timeout": 0},
                {"name": "rel", "command": ["bin/rq"]},
            ]
        },
        [
            "processes_workers[1].name is missing",
            "processes_workers[2].name 'Bad/Name'",
            "processes_workers[2].command []",
            "processes_workers[2].instances must be at least 1 (got 0).",
            "processes_workers[2].stop_timeout must be at least 1 second (got 0).",
            "processes_workers[3].command ['bin/rq']",
        ],
    ),
    "processes_names_unique": (
        "processes",
        {"processes_timers": [{"name": "rq", "command": ["x"], "on_calendar": "daily"}]},
        ["the name 'rq' is used more than once"],
    ),
    "processes_timers": (
        "processes",
        {"processes_timers": [{"name": "report", "command": ["x"], "randomized_delay": -1}]},
        ["processes_timers[0].on_calendar is missing", "processes_timers[0].randomized_delay"],
    ),
    # The host's systemd judges the calendar expressions: the bad one is named, the good not.
    "processes_on_calendar": (
        "processes",
        {
            "processes_timers": [
                {"name": "a", "command": ["x"], "on_calendar": "*-*-* 03:00:00"},
                {"name": "b", "command": ["x"], "on_calendar": "every tuesday"},
            ]
        },
        ["processes_timers[1].on_calendar 'every tuesday' is not a calendar expression"],
    ),
    "processes_singleton_host": (
        "processes",
        {"processes_singleton_host": "nowhere"},
        ["processes_singleton_host 'nowhere' is not a host of the inventory"],
    ),
    "processes_settings": (
        "processes",
        {"processes_sandbox_umask": "22", "processes_log_dir": "log", "processes_tasks_max": 8},
        [
            "processes_sandbox_umask ('22')",
            "processes_log_dir must be an absolute path",
            "processes_tasks_max 0 (no limit) or at least 16 (is 8)",
        ],
    ),
    "nginx_site_name": (
        "nginx",
        {"nginx_sites": [{"name": "Bad Name", "server_names": ["sample.test"]}]},
        ["nginx_sites[0]: `name` must be", "(is 'Bad Name')"],
    ),
    "nginx_site_name_too_long": (
        "nginx",
        {"nginx_sites": [{"name": "s" * 65, "server_names": ["sample.test"]}]},
        ["nginx_sites[0]: `name` must be 1-64 of [a-z0-9_-]"],
    ),
    "nginx_site_name_longest": (
        "nginx",
        {"nginx_sites": [{"name": "s" * 64, "server_names": ["sample.test"]}]},
        [],
    ),
    "nginx_second_site": (
        "nginx",
        {
            "nginx_sites": [
                {"name": "sample", "server_names": ["sample.test"]},
                {"name": "other", "server_names": []},
            ]
        },
        ["nginx_sites[1]: `name` must be"],
    ),
    "nginx_unique": (
        "nginx",
        {
            "nginx_sites": [
                {"name": "sample", "server_names": ["sample.test"]},
                {"name": "sample", "server_names": ["other.test"]},
            ]
        },
        ["nginx_sites: every `name` and every entry of `server_names` may appear only once"],
    ),
}


def play(case: str, role: str, values: dict[str, Any], out: Path) -> dict[str, Any]:
    report = str(out / f"{case}.json")
    return {
        "name": case,
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Check the input",
                "block": [
                    {
                        "name": "Include the role's validate entry point",
                        "ansible.builtin.include_role": {
                            "name": f"flaskstack.web.{role}",
                            "tasks_from": "validate",
                        },
                        "vars": {**BASE[role], **values},
                    },
                    {
                        "name": "Report that it passed",
                        "ansible.builtin.copy": {
                            "content": '{"failed": false}',
                            "dest": report,
                            "mode": "0644",
                        },
                    },
                ],
                "rescue": [
                    {
                        "name": "Report where and why it failed",
                        "ansible.builtin.copy": {
                            "content": "{{ {'failed': true, 'task': ansible_failed_task.name,"
                            " 'msg': ansible_failed_result.msg | default('')} | to_json }}",
                            "dest": report,
                            "mode": "0644",
                        },
                    }
                ],
            }
        ],
    }


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("validate")
    (tmp / "sample-1.0-py3-none-any.whl").write_text("a wheel's stand-in\n")
    (tmp / "requirements.txt").write_text("flask\n")
    for name, files in {
        "flat": {
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
            "requirements.txt": "flask==3.1.3\nGunicorn==21.2.0  # the app's own\n",
            "old-gunicorn.txt": "flask==3.1.3\ngunicorn==19.9.0\n",
        },
        "tools": {"app.py": "", "pyproject.toml": "[tool.ruff]\nline-length = 100\n"},
        "project": {"app.py": "", "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'},
    }.items():
        (tmp / name).mkdir()
        for file, text in files.items():
            (tmp / name / file).write_text(text)
    playbook = tmp / "playbook.yml"
    playbook.write_text(
        yaml.safe_dump([play(case, role, values, tmp) for case, (role, values, _) in CASES.items()])
    )
    inventory = tmp / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "hosts": {
                        "localhost": {
                            "ansible_connection": "local",
                            "ansible_python_interpreter": sys.executable,
                            "validate_tmp": str(tmp),
                        }
                    }
                }
            }
        )
    )
    result = ansible(
        "ansible-playbook",
        "-i",
        str(inventory),
        str(playbook),
        env={"ANSIBLE_NOCOLOR": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = {}
    for case in CASES:
        path = tmp / f"{case}.json"
        assert path.is_file(), f"{case}: no report\n{result.stdout[-3000:]}"
        found[case] = json.loads(path.read_text())
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_validate_refuses_each_bad_value_by_name(
    case: str, reports: dict[str, dict[str, Any]]
) -> None:
    _, _, texts = CASES[case]
    report = reports[case]
    if not texts:
        assert report == {"failed": False}
        return
    assert report["failed"], f"{case}: the role accepted {CASES[case][1]}"
    # Refused by the role's own checks, not by a template error on the way.
    assert report["task"].startswith("Check"), report
    for text in texts:
        assert text in report["msg"], f"{text!r} not in {report['msg']!r}"
