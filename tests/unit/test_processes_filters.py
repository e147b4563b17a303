"""The processes role's decisions (flaskstack.web.processes_units and processes_plan) from a read
of the host, and the Exec line of flaskstack.web.systemd_command: what systemd gets to run."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "plugins" / "filter" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


processes = _load("processes")
systemd = _load("systemd")

D = "/etc/systemd/system"
MARK = "# flaskstack.web.processes: app shop"
FILES = {
    "rq": f"{D}/flaskstack-shop-rq@.service",
    "beat": f"{D}/flaskstack-shop-beat@.service",
    "timer": f"{D}/flaskstack-shop-report.timer",
    "job": f"{D}/flaskstack-shop-report.service",
}
RQ = ["flaskstack-shop-rq@1.service", "flaskstack-shop-rq@2.service"]
BEAT = "flaskstack-shop-beat@1.service"
TIMER = "flaskstack-shop-report.timer"
# Times: the link `current` was switched at 100, the env file written at 50, the units at 40.
SWITCH, ENV, UNITS = 100.0, 50.0, 40.0


def config(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "app": "shop",
        "unit_dir": D,
        "workers": [
            {"name": "rq", "instances": 2, "singleton": False},
            {"name": "beat", "instances": 1, "singleton": True},
        ],
        "timers": [{"name": "report", "singleton": True}],
        "host": "app1",
        "singleton_host": "app1",
        "current": "/srv/shop/current",
        "env_file": "/etc/shop/env",
        "marker": MARK,
        "written": [],
        "contents": {},
        "check_mode": False,
        "release_changed": False,
        "env_changed": False,
    }
    return {**base, **changes}


def unit(active: bool = True, started: float = 200.0, **more: str) -> dict[str, str]:
    return {
        "ActiveState": "active" if active else "inactive",
        "ExecMainStartTimestamp": f"{started:.6f}" if active else "0",
        "ActiveEnterTimestamp": f"{started:.6f}" if active else "0",
        "NeedDaemonReload": "no",
        **more,
    }


def wants(name: str) -> str:
    return "timers" if name.endswith(".timer") else "multi-user"


def read(
    units: dict[str, dict[str, str]] | None = None,
    links: list[str] | None = None,
    extra_files: list[str] | None = None,
    switch: float = SWITCH,
    env: float = ENV,
    unit_times: dict[str, float] | None = None,
) -> dict[str, Any]:
    """A host_state result: by default every unit of config() runs (started at 200, after
    everything changed) and is linked."""
    wanted = [*RQ, BEAT, TIMER]
    units = {name: unit() for name in wanted} if units is None else units
    links = wanted if links is None else links
    times = {path: UNITS for path in FILES.values()} | (unit_times or {})
    files = sorted([*FILES.values(), *(extra_files or [])])
    return {
        "paths": {"/etc/shop/env": {"mtime": env}} | {p: {"mtime": t} for p, t in times.items()},
        "files": {"/srv/shop/current": {"type": "link", "mtime": switch}},
        "globs": {
            f"{D}/flaskstack-shop-*": [{"path": p, "isdir": p.endswith(".d")} for p in files],
            f"{D}/*.wants/flaskstack-shop-*": [
                {"path": f"{D}/{wants(n)}.target.wants/{n}"} for n in links
            ],
        },
        "units": units,
    }


def plan(host_read: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return processes.processes_plan(host_read, config(**changes))


def test_units_names_files_units_and_globs() -> None:
    names = processes.processes_units(config())
    assert names["files"] == [FILES["rq"], FILES["beat"], FILES["timer"], FILES["job"]]
    assert names["units"] == [*RQ, BEAT, TIMER, "flaskstack-shop-report.service"]
    assert names["globs"] == [f"{D}/flaskstack-shop-*", f"{D}/*.wants/flaskstack-shop-*"]


def test_steady_when_everything_runs_and_started_after_every_change() -> None:
    result = plan(read())
    assert result["steady"], result
    assert result["here"] == {"workers": ["rq", "beat"], "timers": ["report"]}


def test_a_first_run_enables_and_starts_everything_after_a_daemon_reload() -> None:
    result = plan(read(units={}, links=[]), written=list(FILES.values()))
    assert result["enable"] == sorted([*RQ, BEAT, TIMER])
    assert result["start"] == [*RQ, BEAT, TIMER]
    assert result["daemon_reload"] and result["restart"] == [] and not result["steady"]


def test_a_release_switched_after_the_start_restarts_every_worker_but_not_the_timer() -> None:
    result = plan(read(switch=250.0))
    assert result["restart"] == [*RQ, BEAT]
    assert result["start"] == result["enable"] == result["disable"] == []
    assert not result["daemon_reload"]


def test_an_environment_file_newer_than_the_start_restarts_the_workers() -> None:
    assert plan(read(env=250.0))["restart"] == [*RQ, BEAT]


def test_a_started_worker_newer_than_every_change_is_not_restarted() -> None:
    # One instance restarted by systemd after a crash (started at 300), the other before the
    # switch at 250: only the older one restarts.
    units = {name: unit() for name in [*RQ, BEAT, TIMER]}
    units[RQ[0]] = unit(started=300.0)
    units[RQ[1]] = unit(started=240.0)
    units[BEAT] = unit(started=260.0)
    assert plan(read(units=units, switch=250.0))["restart"] == [RQ[1]]


def test_a_unit_file_changed_since_the_start_restarts_that_worker_only() -> None:
    assert plan(read(unit_times={FILES["rq"]: 300.0}))["restart"] == RQ
    # Written by this run: restart whatever the times say (check mode writes nothing).
    result = plan(read(), written=[FILES["beat"]])
    assert result["restart"] == [BEAT] and result["daemon_reload"]


def test_a_changed_timer_file_restarts_the_timer_and_its_job_file_nothing() -> None:
    assert plan(read(unit_times={FILES["timer"]: 300.0}))["restart"] == [TIMER]
    result = plan(read(unit_times={FILES["job"]: 300.0}))
    assert result["restart"] == [] and result["steady"]


def test_stopped_units_start_and_unlinked_ones_are_enabled() -> None:
    units = {name: unit() for name in [*RQ, BEAT, TIMER]}
    units[RQ[1]] = unit(active=False)
    result = plan(read(units=units, links=[RQ[0], BEAT, TIMER]))
    assert result["start"] == [RQ[1]] and result["enable"] == [RQ[1]]
    assert result["restart"] == []


def test_fewer_instances_disable_the_surplus() -> None:
    links = [*RQ, "flaskstack-shop-rq@3.service", BEAT, TIMER]
    result = plan(read(links=links))
    assert result["disable"] == ["flaskstack-shop-rq@3.service"]
    assert result["stop"] == [] and result["stale"] == []


def test_singletons_run_only_on_the_singleton_host() -> None:
    # Another host: linked singletons are disabled and stopped, a running one without a link
    # stopped; the other workers run as everywhere.
    units = {name: unit() for name in [*RQ, BEAT, TIMER]}
    result = plan(read(units=units, links=[*RQ, TIMER]), host="app2")
    assert result["here"] == {"workers": ["rq"], "timers": []}
    assert result["disable"] == [TIMER]
    assert result["stop"] == [BEAT]
    assert BEAT not in result["start"] + result["enable"] + result["restart"]
    # A timer with singleton false runs on every host.
    everywhere = config(host="app2")["timers"]
    result = plan(
        read(links=[*RQ, TIMER]), host="app2", timers=[{**everywhere[0], "singleton": False}]
    )
    assert result["here"]["timers"] == ["report"] and TIMER not in result["disable"]


def test_removed_units_with_the_mark_are_stopped_disabled_and_removed() -> None:
    old_worker = f"{D}/flaskstack-shop-mailer@.service"
    old_timer = f"{D}/flaskstack-shop-cleanup.timer"
    old_job = f"{D}/flaskstack-shop-cleanup.service"
    # Another app whose name starts with this one's, and a drop-in directory.
    foreign = f"{D}/flaskstack-shop-admin-rq@.service"
    dropin = f"{D}/flaskstack-shop-rq@.service.d"
    links = [
        *RQ,
        BEAT,
        TIMER,
        "flaskstack-shop-mailer@1.service",
        "flaskstack-shop-cleanup.timer",
        "flaskstack-shop-admin-rq@1.service",
    ]
    host = read(links=links, extra_files=[old_worker, old_timer, old_job, foreign, dropin])
    first = plan(host)
    # Without their text the role cannot tell whose they are: it reads them, removes nothing.
    assert first["candidates"] == sorted([old_worker, old_timer, old_job, foreign])
    assert first["stale"] == [] and first["disable"] == []
    contents = {
        old_worker: f"# Ansible managed\n{MARK}\n[Service]\n",
        old_timer: f"{MARK}\n[Timer]\n",
        old_job: f"# x\n{MARK}",
        foreign: "# flaskstack.web.processes: app shop-admin\n",
    }
    result = plan(host, contents=contents)
    assert result["stale"] == sorted([old_worker, old_timer, old_job])
    assert result["disable"] == [
        "flaskstack-shop-cleanup.timer",
        "flaskstack-shop-mailer@1.service",
    ]
    assert result["stop"] == sorted(
        [
            "flaskstack-shop-mailer@*.service",
            "flaskstack-shop-cleanup.timer",
            "flaskstack-shop-cleanup.service",
        ]
    )
    assert result["daemon_reload"] and not result["steady"]


def test_a_mark_must_be_a_whole_line_of_this_app() -> None:
    old = f"{D}/flaskstack-shop-mailer@.service"
    contents = {old: f"{MARK}-admin\n# {MARK}\n"}
    assert plan(read(extra_files=[old]), contents=contents)["stale"] == []


def test_check_mode_counts_the_switch_and_the_environment_it_would_have_made() -> None:
    assert plan(read(), check_mode=True, release_changed=True)["restart"] == [*RQ, BEAT]
    assert plan(read(), check_mode=True, env_changed=True)["restart"] == [*RQ, BEAT]
    # A real run goes by the host: the facts alone restart nothing (the times do).
    assert plan(read(), release_changed=True, env_changed=True)["steady"]


def test_systemd_asking_for_a_reload_is_one() -> None:
    units = {name: unit() for name in [*RQ, BEAT, TIMER]}
    units[BEAT] = unit(NeedDaemonReload="yes")
    assert plan(read(units=units))["daemon_reload"]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["rq", "worker"], 'rq "worker"'),
        (["/usr/bin/env", "a b"], '/usr/bin/env "a b"'),
        (["celery", "-n", "w%i@%h"], 'celery "-n" "w%%i@%%h"'),
        (["sh", "-c", 'echo "$HOME"\n\tx\\y'], 'sh "-c" "echo \\"$HOME\\"\\n\\tx\\\\y"'),
        (["flask", ";", "${DB}", ""], 'flask ";" "${DB}" ""'),
        (["python3.13", "\x01"], 'python3.13 "\\x01"'),
    ],
)
def test_commands_become_exec_lines(argv: list[str], line: str) -> None:
    assert systemd.systemd_command(argv) == line


@pytest.mark.parametrize(
    "argv",
    [[], "rq worker", ["-rq"], ["@rq"], ["bin/rq"], ["rq worker"], ["rq", 1], [""], ["/a b"]],
)
def test_commands_systemd_would_read_otherwise_are_refused(argv: Any) -> None:
    with pytest.raises(AnsibleFilterError):
        systemd.systemd_command(argv)


def test_the_sandbox_needs_its_three_settings() -> None:
    with pytest.raises(AnsibleFilterError, match="missing umask"):
        systemd.systemd_sandbox({"read_write_paths": [], "address_families": []})
    with pytest.raises(AnsibleFilterError, match="read_write_paths must be a list"):
        systemd.systemd_sandbox({"umask": "0027", "read_write_paths": "/x", "address_families": []})
