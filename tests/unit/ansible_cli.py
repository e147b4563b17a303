"""The one way the unit tests run Ansible's command-line tools: the ones of the interpreter
running the tests (the project's virtualenv), from the checkout, with its ansible.cfg."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def ansible(
    tool: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `tool` (ansible-playbook, ansible-inventory, ...) with `args`; `env` adds to or
    overrides the environment. The result is returned whatever the exit code."""
    return subprocess.run(
        [str(Path(sys.executable).parent / tool), *args],
        cwd=ROOT,
        env={
            **os.environ,
            "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_FORCE_COLOR": "0",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# For tests that read what each task returned: the json callback's report on stdout.
JSON_OUTPUT = {
    "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json",
    "ANSIBLE_LOCALHOST_WARNING": "false",
}


def local_play(directory: Path, tasks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Run `tasks` as one play on this machine (the tests' own interpreter, no facts), from a
    playbook written into `directory`; what each task returned, by task name."""
    playbook = directory / "play.yml"
    playbook.write_text(
        yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}])
    )
    done = ansible(
        "ansible-playbook",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(playbook),
        env=JSON_OUTPUT,
    )
    assert done.stdout.startswith("{"), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout)
    return {
        task["task"]["name"]: task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]
    }
