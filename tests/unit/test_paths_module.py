"""The module flaskstack.web.paths, run as Ansible runs it (arguments in a JSON file)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MODULE = Path(__file__).resolve().parents[2] / "plugins" / "modules" / "paths.py"


def run(tmp_path: Path, paths: list[dict[str, Any]], check: bool = False) -> dict[str, Any]:
    args = tmp_path / "args.json"
    args.write_text(
        json.dumps({"ANSIBLE_MODULE_ARGS": {"paths": paths, "_ansible_check_mode": check}})
    )
    done = subprocess.run(
        [sys.executable, str(MODULE), str(args)], capture_output=True, text=True, check=False
    )
    return json.loads(done.stdout)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_directories_with_parents_then_nothing_to_do(tmp_path: Path) -> None:
    root = tmp_path / "srv"
    wanted = [
        {"path": str(root / "a" / "b"), "owner": "root", "group": "root", "mode": "0750"},
        {"path": str(root / "c"), "mode": "0755"},
    ]
    first = run(tmp_path, wanted)
    assert first["changed"] is True
    assert first["changed_paths"] == [str(root / "a" / "b"), str(root / "c")]
    # Parents get the entry's mode, as ansible.builtin.file gives them.
    assert mode(root) == mode(root / "a") == mode(root / "a" / "b") == 0o750
    assert (
        "absent" in first["diff"][0]["before"]
        and "directory root:root 0750" in first["diff"][0]["after"]
    )
    again = run(tmp_path, wanted)
    assert again["changed"] is False and again["changed_paths"] == []


def test_owner_and_mode_are_repaired(tmp_path: Path) -> None:
    target = tmp_path / "d"
    target.mkdir(mode=0o777)
    os.chmod(target, 0o777)
    result = run(
        tmp_path, [{"path": str(target), "owner": "nobody", "group": "nogroup", "mode": "0750"}]
    )
    assert result["changed_paths"] == [str(target)]
    info = target.stat()
    assert mode(target) == 0o750
    assert info.st_uid != 0 and info.st_gid != 0


def test_file_created_empty_existing_content_and_times_kept(tmp_path: Path) -> None:
    new, old = tmp_path / "logs" / "new.log", tmp_path / "old.log"
    old.write_text("kept\n")
    os.utime(old, (1_000_000, 1_000_000))
    os.chmod(old, 0o644)
    wanted = [
        {"path": str(new.parent), "mode": "0750"},
        {"path": str(new), "state": "file", "mode": "0640"},
        {"path": str(old), "state": "file", "mode": "0640"},
    ]
    result = run(tmp_path, wanted)
    assert result["changed_paths"] == [str(new.parent), str(new), str(old)]
    assert new.read_text() == "" and mode(new) == 0o640
    assert old.read_text() == "kept\n" and mode(old) == 0o640
    assert old.stat().st_mtime == 1_000_000
    assert run(tmp_path, wanted)["changed"] is False


def test_content_written_atomically_only_when_it_differs(tmp_path: Path) -> None:
    conf = tmp_path / "etc" / "app.conf"
    wanted = [
        {"path": str(tmp_path / "etc"), "mode": "0750"},
        {"path": str(conf), "state": "file", "content": "a = 1\n", "mode": "0640"},
    ]
    first = run(tmp_path, wanted)
    assert first["changed_paths"] == [str(tmp_path / "etc"), str(conf)]
    assert conf.read_text() == "a = 1\n" and mode(conf) == 0o640
    inode = conf.stat().st_ino
    assert run(tmp_path, wanted)["changed"] is False
    assert conf.stat().st_ino == inode
    wanted[1]["content"] = "a = 2\n"
    preview = run(tmp_path, wanted, check=True)
    assert preview["changed_paths"] == [str(conf)] and conf.read_text() == "a = 1\n"
    second = run(tmp_path, wanted)
    assert second["changed_paths"] == [str(conf)]
    assert conf.read_text() == "a = 2\n" and mode(conf) == 0o640
    # Replaced by a rename (a new inode), nothing left beside it.
    assert conf.stat().st_ino != inode and sorted(os.listdir(tmp_path / "etc")) == ["app.conf"]
    (content_diff,) = second["diff"][1:]
    assert content_diff["before"] == "a = 1\n" and content_diff["after"] == "a = 2\n"
    assert content_diff["after_header"] == str(conf)


def test_links_created_repointed_and_left_alone(tmp_path: Path) -> None:
    link = tmp_path / "static"
    (tmp_path / "src" / "a").mkdir(parents=True)
    (tmp_path / "src" / "b").mkdir()
    first = run(tmp_path, [{"path": str(link), "state": "link", "src": "src/a"}])
    assert first["changed"] is True and os.readlink(link) == "src/a"
    assert run(tmp_path, [{"path": str(link), "state": "link", "src": "src/a"}])["changed"] is False
    moved = run(tmp_path, [{"path": str(link), "state": "link", "src": "src/b"}])
    assert moved["changed"] is True and os.readlink(link) == "src/b"
    assert (
        "link -> src/a" in moved["diff"][0]["before"]
        and "link -> src/b" in moved["diff"][0]["after"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["args.json", "src", "static"]


def test_link_target_must_exist_or_come_earlier(tmp_path: Path) -> None:
    link, target = tmp_path / "link", tmp_path / "made" / "here"
    missing = run(tmp_path, [{"path": str(link), "state": "link", "src": "made/here"}])
    assert missing.get("failed") is True
    assert f"its target {target} does not exist" in missing["msg"] and not os.path.lexists(link)
    made = run(
        tmp_path,
        [{"path": str(target)}, {"path": str(link), "state": "link", "src": "made/here"}],
    )
    assert made["changed_paths"] == [str(target), str(link)] and link.resolve() == target


def test_check_mode_reports_and_changes_nothing(tmp_path: Path) -> None:
    existing = tmp_path / "e"
    existing.mkdir()
    os.chmod(existing, 0o700)
    wanted = [
        {"path": str(tmp_path / "x" / "y"), "mode": "0755"},
        {"path": str(existing), "mode": "0755"},
        {"path": str(tmp_path / "f"), "state": "file"},
        {"path": str(tmp_path / "l"), "state": "link", "src": "e"},
    ]
    result = run(tmp_path, wanted, check=True)
    assert result["changed_paths"] == [item["path"] for item in wanted]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["args.json", "e"]
    assert mode(existing) == 0o700
    assert "directory (kept):(kept) 0755" in result["diff"][0]["after"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"state": "directory"}, "exists and is not a directory"),
        ({"state": "link", "src": "x"}, "exists and is not a link"),
        ({"state": "link"}, "needs src"),
        ({"state": "link", "src": "x", "mode": "0644"}, "takes no owner, group, mode or content"),
    ],
)
def test_conflicts_fail_before_anything_changes(
    tmp_path: Path, entry: dict[str, Any], reason: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file\n")
    first = tmp_path / "first"
    result = run(tmp_path, [{"path": str(first)}, {"path": str(blocker), **entry}])
    assert result.get("failed") is True
    assert str(blocker) in result["msg"] and reason in result["msg"]
    assert not first.exists()
    assert blocker.read_text() == "a file\n"


@pytest.mark.parametrize("state", ["file", "link"])
def test_a_file_or_link_needs_its_directory(tmp_path: Path, state: str) -> None:
    # A directory made for a file would get the file's mode (0644: not even traversable).
    entry = {"path": str(tmp_path / "missing" / "x"), "state": state}
    entry.update({"mode": "0644"} if state == "file" else {"src": str(tmp_path)})
    result = run(tmp_path, [entry])
    assert result.get("failed") is True
    assert f"its directory {tmp_path / 'missing'} is not there" in result["msg"]
    assert not (tmp_path / "missing").exists()


def test_relative_path_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, [{"path": "relative/dir"}])
    assert result.get("failed") is True and "not an absolute path" in result["msg"]


def test_a_list_of_paths_shares_the_entry_options(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    wanted = [
        {"path": [str(tmp_path / "a"), str(logs)], "mode": "0750"},
        {"path": [str(logs / "x.log"), str(logs / "y.log")], "state": "file", "mode": "0640"},
    ]
    result = run(tmp_path, wanted)
    assert result["changed_paths"] == [
        str(tmp_path / "a"),
        str(logs),
        str(logs / "x.log"),
        str(logs / "y.log"),
    ]
    assert mode(tmp_path / "a") == mode(logs) == 0o750
    assert mode(logs / "x.log") == mode(logs / "y.log") == 0o640
    assert run(tmp_path, wanted)["changed"] is False


@pytest.mark.parametrize("bad", [["relative"], [7], "relative"])
def test_every_path_of_a_list_must_be_absolute(tmp_path: Path, bad: Any) -> None:
    good = str(tmp_path / "good")
    result = run(tmp_path, [{"path": [good, *bad] if isinstance(bad, list) else bad}])
    assert result.get("failed") is True and "not an absolute path" in result["msg"]
    assert not Path(good).exists()


def test_validate_checks_the_staged_content_before_it_replaces_the_file(tmp_path: Path) -> None:
    target = tmp_path / "rules.conf"
    target.write_text("good old\n")
    entry = {"path": str(target), "state": "file", "mode": "0640", "validate": "grep -q good %s"}

    bad = run(tmp_path, [{**entry, "content": "bad\n"}])
    assert bad["failed"] is True and bad["changed_paths"] == []
    failed = f"{target}: the new content failed to validate with `grep -q good %s` (rc 1)"
    assert failed in bad["msg"]
    assert target.read_text() == "good old\n"
    # The staged copy is gone: only the file itself is in the directory (besides args.json).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["args.json", "rules.conf"]

    # Check mode writes nothing, so it validates nothing: it reports the change.
    checked = run(tmp_path, [{**entry, "content": "bad\n"}], check=True)
    assert checked["changed_paths"] == [str(target)] and target.read_text() == "good old\n"

    good = run(tmp_path, [{**entry, "content": "good new\n"}])
    assert good["changed_paths"] == [str(target)] and target.read_text() == "good new\n"
    assert mode(target) == 0o640
    # Unchanged content: no validation either (a failing command would not be noticed).
    again = run(tmp_path, [{**entry, "content": "good new\n", "validate": "false %s"}])
    assert again["changed"] is False


def test_validate_needs_a_file_with_content_and_the_staged_path(tmp_path: Path) -> None:
    target = tmp_path / "f"
    wrong = run(
        tmp_path,
        [
            {"path": str(target), "state": "file", "content": "x", "validate": "true"},
            {"path": str(tmp_path / "d"), "validate": "true %s"},
        ],
    )
    assert wrong["failed"] is True and not target.exists()
    assert f"{target}: validate must contain %s" in wrong["msg"]
    assert f"{tmp_path / 'd'}: validate needs state=file and content" in wrong["msg"]
