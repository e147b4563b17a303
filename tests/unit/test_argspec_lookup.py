"""The lookup flaskstack.web.argspec, which every role reads its meta/argument_specs.yml with:
run by Ansible next to the `file` lookup and `from_yaml` it replaces, it must give the same
options for every role and entry point, and fail naming the file when the entry point is
missing."""

from __future__ import annotations

from pathlib import Path

from ansible_cli import ROOT, local_play

SPECS = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("roles/*/meta/argument_specs.yml"))


def test_every_entry_point_reads_as_from_yaml_reads_it(tmp_path: Path) -> None:
    assert len(SPECS) == 6, SPECS
    tasks = []
    for spec in SPECS:
        path = ROOT / spec
        for entry_point in ("main", "validate"):
            tasks.append(
                {
                    "name": f"{spec} {entry_point}",
                    "ansible.builtin.debug": {
                        "msg": (
                            f"{{{{ [lookup('flaskstack.web.argspec', '{path}',"
                            f" entry_point='{entry_point}'),"
                            f" (lookup('ansible.builtin.file', '{path}') | from_yaml)"
                            f".argument_specs['{entry_point}'].options] }}}}"
                        )
                    },
                }
            )
    results = local_play(tmp_path, tasks)
    for task in tasks:
        got, expected = results[task["name"]]["msg"]
        assert expected, task["name"]
        assert got == expected, task["name"]


def test_the_entry_point_asked_for_is_the_one_returned(tmp_path: Path) -> None:
    spec = tmp_path / "argument_specs.yml"
    spec.write_text(
        "argument_specs:\n"
        "  main:\n    options:\n      a: {type: str}\n"
        "  other:\n    options:\n      b: {type: list, elements: int}\n"
        "  bare:\n    short_description: no options\n"
    )
    results = local_play(
        tmp_path,
        [
            {
                "name": name,
                "ansible.builtin.debug": {
                    "msg": f"{{{{ lookup('flaskstack.web.argspec', '{spec}'{extra}) }}}}"
                },
            }
            for name, extra in (
                ("main", ""),
                ("other", ", entry_point='other'"),
                ("bare", ", entry_point='bare'"),
            )
        ],
    )
    assert results["main"]["msg"] == {"a": {"type": "str"}}
    assert results["other"]["msg"] == {"b": {"type": "list", "elements": "int"}}
    assert results["bare"]["msg"] == {}


def test_a_missing_entry_point_fails_naming_the_file(tmp_path: Path) -> None:
    path = ROOT / SPECS[0]
    results = local_play(
        tmp_path,
        [
            {
                "name": "missing",
                "ansible.builtin.debug": {
                    "msg": (
                        f"{{{{ lookup('flaskstack.web.argspec', '{path}', entry_point='nope') }}}}"
                    )
                },
            }
        ],
    )
    assert results["missing"]["failed"]
    assert f"{path} has no argument_specs entry point 'nope'" in results["missing"]["msg"]
