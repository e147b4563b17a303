"""The lookup flaskstack.web.checksums, run by Ansible next to the find and stat tasks it
replaces in the app role: the same files, the same checksums, without a module process."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ansible_cli import local_play


def test_a_tree_reads_as_find_reads_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg" / "static").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("x = 1\n")
    (src / "pkg" / "static" / "app.css").write_text("body {}\n")
    (src / ".gitignore").write_text("build/\n")
    (src / "link.py").symlink_to(src / "pkg" / "__init__.py")  # not a regular file: left out
    (src / "empty").mkdir()
    package = tmp_path / "app.whl"
    package.write_bytes(b"PK\x03\x04 not really a wheel")
    found = local_play(
        tmp_path,
        [
            {
                "name": "find",
                "ansible.builtin.find": {
                    "paths": str(src),
                    "recurse": True,
                    "hidden": True,
                    "file_type": "file",
                    "get_checksum": True,
                },
            },
            {
                "name": "lookup",
                "ansible.builtin.debug": {
                    "msg": (
                        f"{{{{ query('flaskstack.web.checksums', '{src}', '{package}',"
                        f" '{tmp_path}/missing') }}}}"
                    )
                },
            },
            {
                "name": "sha256",
                "ansible.builtin.debug": {
                    "msg": (
                        f"{{{{ lookup('flaskstack.web.checksums', '{package}',"
                        " algorithm='sha256') }}"
                    )
                },
            },
        ],
    )
    tree, wheel, missing = found["lookup"]["msg"]
    from_find = sorted((f["path"], f["checksum"]) for f in found["find"]["files"])
    assert [(f["path"], f["checksum"]) for f in tree["files"]] == from_find
    assert len(from_find) == 3
    assert tree["isdir"] and not tree["isreg"] and tree["checksum"] == ""
    assert wheel["isreg"] and wheel["files"] == []
    assert wheel["checksum"] == hashlib.sha1(package.read_bytes()).hexdigest()
    assert missing == {
        "path": f"{tmp_path}/missing",
        "exists": False,
        "isreg": False,
        "isdir": False,
        "checksum": "",
        "files": [],
    }
    assert found["sha256"]["msg"]["checksum"] == hashlib.sha256(package.read_bytes()).hexdigest()
