"""The action flaskstack.web.paths with `known`: run by ansible-playbook against a temporary
directory of this machine, after a real flaskstack.web.host_state read of it. Paths the read shows
as wanted cost no module call (the result has no `invocation`, and a read that lies is believed);
anything else goes to the module, which decides as it always did."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
from pathlib import Path
from typing import Any

import pytest
from ansible_cli import local_play

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "plugins" / "action" / "paths.py"

spec = importlib.util.spec_from_file_location("paths_action", ACTION)
assert spec and spec.loader
paths_action = importlib.util.module_from_spec(spec)
spec.loader.exec_module(paths_action)

ME = pwd.getpwuid(os.getuid()).pw_name
READ_DIR = {"type": "directory", "owner": ME, "group": "g", "uid": 7, "gid": 8, "mode": "0750"}
TEXT = "a = 1\n"
READ_FILE = {
    **READ_DIR,
    "type": "file",
    "mode": "0640",
    "checksum": hashlib.sha1(b"a = 1\n").hexdigest(),
}
READ_LINK = {"type": "link", "src": "releases/1"}


@pytest.mark.parametrize(
    ("entry", "read", "expected"),
    [
        ({"path": "/d", "owner": ME, "group": "g", "mode": "0750"}, READ_DIR, True),
        ({"path": "/d"}, READ_DIR, True),
        ({"path": "/d", "owner": "7", "group": "8", "mode": "750"}, READ_DIR, True),
        ({"path": "/d", "mode": "0755"}, READ_DIR, False),
        ({"path": "/d", "owner": "nobody"}, READ_DIR, False),
        ({"path": "/d", "group": "adm"}, READ_DIR, False),
        ({"path": "/d", "mode": "u=rwx,g=rx"}, READ_DIR, False),
        ({"path": "/d", "state": "file"}, READ_DIR, False),
        ({"path": "/d"}, {"type": "absent"}, False),
        ({"path": "/d"}, None, False),
        ({"path": "/f", "state": "file", "content": TEXT, "mode": "0640"}, READ_FILE, True),
        ({"path": "/f", "state": "file", "content": TEXT + "b = 2\n"}, READ_FILE, False),
        ({"path": "/f", "state": "file", "content": TEXT}, {**READ_FILE, "checksum": ""}, False),
        ({"path": "/f", "state": "file"}, READ_FILE, True),
        ({"path": "/f", "state": "directory"}, READ_FILE, False),
        (
            {"path": "/f", "state": "file", "content": TEXT, "validate": "nft -c -f %s"},
            READ_FILE,
            True,
        ),
        ({"path": "/f", "state": "file", "content": TEXT, "validate": "true"}, READ_FILE, False),
        ({"path": "/f", "state": "file", "validate": "cat %s"}, READ_FILE, False),
        ({"path": "/l", "state": "link", "src": "releases/1"}, READ_LINK, True),
        ({"path": "/l", "state": "link", "src": "releases/2"}, READ_LINK, False),
        ({"path": "/l", "state": "link", "src": "releases/1", "mode": "0755"}, READ_LINK, False),
        ({"path": "/l", "state": "link", "src": "releases/1"}, READ_DIR, False),
        ({"path": "/d", "state": "fifo"}, {**READ_DIR, "type": "other"}, False),
    ],
)
def test_one_path_compared_as_the_module_would_leave_it(
    entry: dict[str, Any], read: dict[str, Any] | None, expected: bool
) -> None:
    known = {} if read is None else {entry["path"]: read}
    assert paths_action.all_as_wanted([entry], known) is expected


def test_every_path_of_every_entry_must_be_known_as_wanted() -> None:
    known = {"/a": READ_DIR, "/b": READ_DIR}
    assert paths_action.all_as_wanted([{"path": ["/a", "/b"], "mode": "0750"}], known)
    assert not paths_action.all_as_wanted([{"path": ["/a", "/b", "/c"], "mode": "0750"}], known)
    assert not paths_action.all_as_wanted([{"path": "/a"}, {"path": "/c"}], known)
    # Anything the module would refuse or needs to work out goes to it.
    assert not paths_action.all_as_wanted([{"path": "a"}], {"a": READ_DIR})
    assert not paths_action.all_as_wanted([], known)
    assert not paths_action.all_as_wanted("/a", known)
    assert not paths_action.all_as_wanted([{"path": "/a"}], None)


def task(name: str, module: str, args: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"name": name, module: args, **more}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("paths")
    (tmp / "d").mkdir(mode=0o750)
    (tmp / "d").chmod(0o750)
    (tmp / "f").write_text(TEXT)
    (tmp / "f").chmod(0o640)
    os.symlink("d", tmp / "l")
    wanted = [
        {"path": str(tmp / "d"), "owner": ME, "mode": "0750"},
        {"path": str(tmp / "f"), "state": "file", "content": TEXT, "mode": "0640"},
        {"path": str(tmp / "l"), "state": "link", "src": "d"},
    ]
    paths = [str(tmp / name) for name in ("d", "f", "l", "new")]
    new = {"path": str(tmp / "new"), "mode": "0700"}
    lie = {str(tmp / "new"): {"type": "directory", "mode": "0700", "owner": ME, "uid": 0}}
    play_tasks = [
        task("read", "flaskstack.web.host_state", {"files": paths}, register="read"),
        task("as_wanted", "flaskstack.web.paths", {"paths": wanted, "known": "{{ read.files }}"}),
        task(
            "as_wanted_check",
            "flaskstack.web.paths",
            {"paths": wanted, "known": "{{ read.files }}"},
            check_mode=True,
        ),
        # The read does not hold it: the module makes it.
        task("unknown", "flaskstack.web.paths", {"paths": [new], "known": "{{ read.files }}"}),
        # A read that says it is there is believed: no module call, nothing made.
        task(
            "lie",
            "flaskstack.web.paths",
            {
                "paths": [{**new, "path": str(tmp / "lied")}],
                "known": {str(tmp / "lied"): lie[str(tmp / "new")]},
            },
        ),
        task(
            "mode_differs",
            "flaskstack.web.paths",
            {"paths": [{**wanted[0], "mode": "0755"}], "known": "{{ read.files }}"},
        ),
        task(
            "content_differs_check",
            "flaskstack.web.paths",
            {"paths": [{**wanted[1], "content": "b = 2\n"}], "known": "{{ read.files }}"},
            check_mode=True,
            diff=True,
        ),
    ]
    found = local_play(tmp, play_tasks)
    assert all(not result.get("failed") for result in found.values()), found
    return tmp, found


def test_the_read_gives_what_the_comparison_needs(
    results: tuple[Path, dict[str, dict[str, Any]]],
) -> None:
    tmp, found = results
    files = found["read"]["files"]
    assert files[str(tmp / "d")]["type"] == "directory"
    assert files[str(tmp / "f")]["checksum"] == hashlib.sha1(TEXT.encode()).hexdigest()
    assert files[str(tmp / "l")] == {**files[str(tmp / "l")], "type": "link", "src": "d"}
    assert files[str(tmp / "new")] == {"type": "absent"}


def test_paths_read_as_wanted_cost_no_module_call(
    results: tuple[Path, dict[str, dict[str, Any]]],
) -> None:
    tmp, found = results
    for name in ("as_wanted", "as_wanted_check", "lie"):
        assert not found[name]["changed"], name
        assert found[name]["changed_paths"] == [], name
        assert "invocation" not in found[name], name
    assert not (tmp / "lied").exists()


def test_anything_else_goes_to_the_module(
    results: tuple[Path, dict[str, dict[str, Any]]],
) -> None:
    tmp, found = results
    assert found["unknown"]["changed"] and "invocation" in found["unknown"]
    assert (tmp / "new").is_dir() and (tmp / "new").stat().st_mode & 0o777 == 0o700
    assert found["mode_differs"]["changed_paths"] == [str(tmp / "d")]
    assert (tmp / "d").stat().st_mode & 0o777 == 0o755
    # Check mode: the module reports the change, shows it, and leaves the file as it was.
    check = found["content_differs_check"]
    assert check["changed_paths"] == [str(tmp / "f")]
    assert any(part.get("after") == "b = 2\n" for part in check["diff"])
    assert (tmp / "f").read_text() == TEXT
    # `known` never reaches the module.
    assert found["unknown"]["invocation"]["module_args"].get("known") is None
