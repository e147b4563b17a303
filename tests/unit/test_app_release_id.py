"""The app role's release id (tasks/source.yml) covers what goes into a release besides the
source: the build commands (what they write is part of the release) and the log links. The same
input gives the same id (a run that changes nothing builds nothing); changing either gives a new
one, so a release built with other commands or links is never taken for this one.

Runs the role's own source.yml on this machine (connection local) against a git repository in a
temporary directory: the id of a git source is its resolved commit plus the settings.
"""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from ansible_cli import local_play

# Each case: the role's variables besides the git source; the id it gets is compared below.
CASES: dict[str, dict[str, Any]] = {
    "base": {},
    "base_again": {},
    "build": {"app_build_commands": [["pybabel", "compile", "-d", "app/translations"]]},
    "build_again": {"app_build_commands": [["pybabel", "compile", "-d", "app/translations"]]},
    "build_other_dir": {"app_build_commands": [["pybabel", "compile", "-d", "translations"]]},
    "build_two": {
        "app_build_commands": [
            ["pybabel", "compile", "-d", "app/translations"],
            ["python", "-m", "build_info"],
        ]
    },
    "no_log_links": {"app_log_links": []},
    "other_log_links": {"app_log_links": ["logs", "var/log"]},
    "no_precompress": {"app_static_precompress": False},
    "precompress_css_only": {"app_static_precompress_extensions": ["css"]},
    "precompress_css_only_again": {"app_static_precompress_extensions": ["CSS"]},
    "precompress_min_size": {"app_static_precompress_min_size": 1024},
}


@pytest.fixture(scope="module")
def release_ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("release_id")
    repo = tmp / "repo"
    repo.mkdir()
    (repo / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.test"]
    for args in (["init", "--quiet"], ["add", "app.py"], ["commit", "--quiet", "-m", "one"]):
        subprocess.run([*git, *args], check=True, capture_output=True)
    tasks: list[dict[str, Any]] = []
    for case, values in CASES.items():
        tasks.append(
            {
                "name": f"Name the release {case}",
                "ansible.builtin.include_role": {
                    "name": "flaskstack.web.app",
                    "tasks_from": "source",
                },
                "vars": {
                    "app_name": "idtest",
                    "app_root": str(tmp / "root"),
                    "app_source_type": "git",
                    "app_git_repo": f"file://{repo}",
                    **values,
                },
            }
        )
        tasks.append(
            {"name": f"Id of {case}", "ansible.builtin.debug": {"msg": "{{ app_release_id }}"}}
        )
    done = local_play(tmp, tasks)
    return {case: done[f"Id of {case}"]["msg"] for case in CASES}


def test_the_same_input_gives_the_same_id(release_ids: dict[str, str]) -> None:
    assert all(len(i) == 12 for i in release_ids.values()), release_ids
    assert release_ids["base"] == release_ids["base_again"]
    assert release_ids["build"] == release_ids["build_again"]
    assert release_ids["precompress_css_only"] == release_ids["precompress_css_only_again"]


@pytest.mark.parametrize(
    "case",
    [
        "build",
        "build_other_dir",
        "build_two",
        "no_log_links",
        "other_log_links",
        "no_precompress",
        "precompress_css_only",
        "precompress_min_size",
    ],
)
def test_build_commands_and_log_links_are_part_of_the_id(
    case: str, release_ids: dict[str, str]
) -> None:
    others = {c: i for c, i in release_ids.items() if c != case and c != f"{case}_again"}
    assert release_ids[case] not in others.values(), release_ids
