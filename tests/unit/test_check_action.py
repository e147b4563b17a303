"""The action flaskstack.web.check, which every role's validation ends with: it fails naming
every problem at once, or returns what the role records of its input, without a module call."""

from __future__ import annotations

from pathlib import Path

from ansible_cli import local_play


def check(name: str, problems: object, record: object = None) -> dict:
    args: dict = {"problems": problems}
    if record is not None:
        args["record"] = record
    return {
        "name": name,
        "flaskstack.web.check": args,
        "register": "checked",
        "ignore_errors": True,
    }


def test_problems_fail_the_task_all_named_and_records_only_pass(tmp_path: Path) -> None:
    results = local_play(
        tmp_path,
        [
            check("fine", ["", ""], {"fingerprint": "abc", "name": "x"}),
            check("no problems at all", [], {"fingerprint": "abc"}),
            check("two of three", ["a is bad.", "", "b is bad."], {"fingerprint": "abc"}),
            check("not a list", "a is bad."),
            check("not messages", [["a is bad."]]),
            {
                "name": "the failed check registered no record",
                "ansible.builtin.debug": {"msg": "{{ checked.record | default('none') }}"},
            },
        ],
    )
    assert not results["fine"].get("failed")
    assert results["fine"]["record"] == {"fingerprint": "abc", "name": "x"}
    assert results["fine"]["changed"] is False
    assert results["no problems at all"]["record"] == {"fingerprint": "abc"}
    assert results["two of three"]["failed"]
    assert results["two of three"]["msg"] == "a is bad. b is bad."
    assert results["two of three"]["problems"] == ["a is bad.", "b is bad."]
    assert "record" not in results["two of three"]
    for bad in ("not a list", "not messages"):
        assert results[bad]["failed"]
        assert "problems must be a list of messages" in results[bad]["msg"]
    assert results["the failed check registered no record"]["msg"] == "none"
