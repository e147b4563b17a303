"""roles/app/files/pack_source.py: the one archive a `dir` source travels in holds exactly the
manifest's files, root-owned, with normalised modes, and depends only on names and contents."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "roles" / "app" / "files" / "pack_source.py"

spec = importlib.util.spec_from_file_location("pack_source", SCRIPT)
assert spec and spec.loader
pack_source = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pack_source)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "pkg" / "static").mkdir(parents=True)
    (src / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (src / "pkg" / "static" / "app.css").write_text("body {}\n")
    (src / "bin").mkdir()
    (src / "bin" / "migrate").write_text("#!/bin/sh\necho migrated\n")
    (src / "bin" / "migrate").chmod(0o750)
    (src / "instance").mkdir()
    (src / "instance" / "dev.db").write_text("not shipped\n")
    (src / "pkg" / "__init__.py").chmod(0o600)
    return src


FILES = ["pkg/__init__.py", "pkg/static/app.css", "bin/migrate"]


def test_archive_holds_exactly_the_listed_files(tree: Path, tmp_path: Path) -> None:
    archive = tmp_path / "source.tar.gz"
    assert pack_source.pack(str(tree), FILES, str(archive)) == 3
    with tarfile.open(archive) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert sorted(n for n, m in members.items() if m.isfile()) == sorted(FILES)
        assert sorted(n for n, m in members.items() if m.isdir()) == ["bin", "pkg", "pkg/static"]
        assert all(m.uid == 0 and m.gid == 0 for m in members.values())
        assert members["pkg/__init__.py"].mode == 0o644
        assert members["bin/migrate"].mode == 0o755
        assert all(m.mode == 0o755 for m in members.values() if m.isdir())
        payload = tar.extractfile("pkg/static/app.css")
        assert payload is not None and payload.read() == b"body {}\n"


def test_archive_depends_only_on_names_and_contents(tree: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    pack_source.pack(str(tree), FILES, str(first))
    (tree / "pkg" / "static" / "app.css").touch()
    pack_source.pack(str(tree), list(reversed(FILES)), str(second))
    assert first.read_bytes() == second.read_bytes()
    (tree / "pkg" / "static" / "app.css").write_text("body { color: red }\n")
    pack_source.pack(str(tree), FILES, str(second))
    assert first.read_bytes() != second.read_bytes()


@pytest.mark.parametrize("name", ["../outside", "/etc/passwd", "pkg/../../x"])
def test_paths_outside_the_source_are_refused(tree: Path, tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="not a relative path"):
        pack_source.pack(str(tree), [name], str(tmp_path / "x.tar.gz"))


def test_command_line_reads_the_list_as_json(tree: Path, tmp_path: Path) -> None:
    archive = tmp_path / "cli.tar.gz"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tree), str(archive)],
        input=json.dumps(FILES),
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "3 files"
    with tarfile.open(archive) as tar:
        assert "instance/dev.db" not in tar.getnames()
