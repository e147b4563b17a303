"""The action flaskstack.web.packages, run by ansible-playbook against this machine in check mode
(nothing is installed): the first call reads the installed packages, later calls answer from the
facts without a module call, and anything missing or not a plain name goes to apt."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_cli import JSON_OUTPUT, ansible

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "plugins" / "action" / "packages.py"
SYSTEM_PYTHON = "/usr/bin/python3"
MISSING = "flaskstack-no-such-package"


def has_python_apt() -> bool:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return False
    probe = [SYSTEM_PYTHON, "-c", "import apt"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


# Small packages of Debian's archive; the first that apt knows and dpkg has not installed here is
# the one check mode "installs".
INSTALLABLE = ["cowsay", "sl", "hello", "fortune-mod", "figlet"]


def installable() -> str | None:
    for name in INSTALLABLE:
        policy = subprocess.run(
            ["apt-cache", "policy", name], capture_output=True, text=True, check=False
        ).stdout
        if "Installed: (none)" in policy and "Candidate: (none)" not in policy:
            return name
    return None


def tasks(available: str | None) -> list[dict[str, Any]]:
    tasks = [
        {"name": "first", "flaskstack.web.packages": {"name": ["dpkg", "coreutils"]}},
        {"name": "again", "flaskstack.web.packages": {"name": "dpkg"}},
        {"name": "missing", "flaskstack.web.packages": {"name": ["dpkg", MISSING]}},
        {"name": "versioned", "flaskstack.web.packages": {"name": ["dpkg=0.0-no-such-version"]}},
        {
            "name": "delegated",
            "flaskstack.web.packages": {"name": "dpkg"},
            "delegate_to": "localhost",
        },
    ]
    if available:
        # From a fresh read: check mode "installs" a package; the read is kept all the same.
        tasks += [
            {"name": "forget", "ansible.builtin.meta": "clear_facts"},
            {"name": "check_install", "flaskstack.web.packages": {"name": ["dpkg", available]}},
            {"name": "after_check", "flaskstack.web.packages": {"name": "coreutils"}},
            {"name": "check_again", "flaskstack.web.packages": {"name": available}},
        ]
    return tasks


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    if not has_python_apt():
        pytest.skip("needs Debian's python3-apt (apt runs in check mode on this machine)")
    tmp = tmp_path_factory.mktemp("packages")
    playbook = tmp / "play.yml"
    available = installable()
    play_tasks = [
        {**task, "ignore_errors": True} if "ansible.builtin.meta" not in task else task
        for task in tasks(available)
    ]
    play = {"hosts": "localhost", "gather_facts": False, "tasks": play_tasks}
    playbook.write_text(yaml.safe_dump([play]))
    done = ansible(
        "ansible-playbook",
        "--check",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={SYSTEM_PYTHON}",
        str(playbook),
        env=JSON_OUTPUT,
    )
    report = json.loads(done.stdout)
    tasks_run = report["plays"][0]["tasks"]
    found = {task["task"]["name"]: task["hosts"].get("localhost") for task in tasks_run}
    found["available"] = {"name": available}
    return found


def test_first_call_reads_the_packages_once(results: dict[str, dict[str, Any]]) -> None:
    first = results["first"]
    assert first["changed"] is False and first["missing"] == []
    assert "dpkg" in first["ansible_facts"]["packages"]


def test_later_calls_answer_from_the_facts_without_a_module(
    results: dict[str, dict[str, Any]],
) -> None:
    again = results["again"]
    assert again["changed"] is False and again["missing"] == []
    # A module call leaves its invocation in the result; answered from the facts, there is none.
    assert "invocation" not in again, again


def test_missing_package_goes_to_apt(results: dict[str, dict[str, Any]]) -> None:
    missing = results["missing"]
    assert missing["missing"] == [MISSING]
    assert missing["failed"] is True and MISSING in missing["msg"]
    assert missing["invocation"]["module_args"]["name"] == [MISSING]


def test_a_name_with_a_version_goes_to_apt(results: dict[str, dict[str, Any]]) -> None:
    versioned = results["versioned"]
    assert versioned["missing"] == ["dpkg=0.0-no-such-version"]
    assert "invocation" in versioned and versioned["failed"] is True


def test_delegated_calls_go_to_apt(results: dict[str, dict[str, Any]]) -> None:
    delegated = results["delegated"]
    assert delegated["missing"] == ["dpkg"] and "invocation" in delegated
    assert delegated.get("failed") is not True


def test_check_mode_keeps_the_read(results: dict[str, dict[str, Any]]) -> None:
    """In check mode apt installs nothing: the packages read stay the facts (a later call makes
    no module call), and the package check mode "installed" goes to apt again."""
    available = results["available"]["name"]
    if not available:
        pytest.skip(f"apt knows none of {INSTALLABLE} uninstalled on this machine")
    check_install = results["check_install"]
    assert check_install["missing"] == [available] and check_install["changed"] is True
    assert "dpkg" in check_install["ansible_facts"]["packages"]
    assert available not in check_install["ansible_facts"]["packages"]
    assert "invocation" not in results["after_check"], results["after_check"]
    assert results["check_again"]["missing"] == [available]
    assert "invocation" in results["check_again"]
