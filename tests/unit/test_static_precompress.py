"""flaskstack.web.static_precompress: the decisions (module_utils, table tests) and the module
run as Ansible runs it (arguments in a JSON file, the collection on the import path)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "plugins" / "modules" / "static_precompress.py"
_SPEC = importlib.util.spec_from_file_location(
    "static_precompress_utils", ROOT / "plugins" / "module_utils" / "static_precompress.py"
)
assert _SPEC and _SPEC.loader
utils = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(utils)

EXTENSIONS = utils.normalize_extensions(["css", ".JS", " svg ", "webmanifest", ""])


def test_normalize_extensions() -> None:
    assert utils.normalize_extensions(["css", ".JS", " svg ", "webmanifest", ""]) == {
        ".css",
        ".js",
        ".svg",
        ".webmanifest",
    }


@pytest.mark.parametrize(
    ("name", "size", "reason"),
    [
        ("site.css", 1000, None),
        ("APP.JS", 1000, None),
        ("site.webmanifest", 256, None),  # exactly min_size
        ("site.css", 255, "small"),
        ("site.css.gz", 1000, "compressed"),
        ("site.css.br", 1000, "compressed"),
        ("bundle.js.zst", 1000, "compressed"),
        ("photo.jpg", 1000, "extension"),
        ("font.woff2", 1000, "extension"),
        ("LICENSE", 1000, "extension"),
        (".css", 1000, "extension"),  # a dot-file named .css has no extension
        ("archive.tar.gz", 1000, "compressed"),
    ],
)
def test_skip_reason(name: str, size: int, reason: str | None) -> None:
    assert utils.skip_reason(name, size, EXTENSIONS, 256) == reason


@pytest.mark.parametrize(
    ("source", "variant", "is_file", "state"),
    [
        (100, None, True, "missing"),
        (100, 100, True, "fresh"),
        (100, 99, True, "stale"),
        (100, 101, True, "stale"),
        (100, 100, False, "stale"),  # a directory or a link where the variant goes
    ],
)
def test_variant_state(source: int, variant: int | None, is_file: bool, state: str) -> None:
    assert utils.variant_state(source, variant, is_file) == state


@pytest.mark.parametrize(
    ("source", "compressed", "worth"), [(100, 99, True), (100, 100, False), (10, 30, False)]
)
def test_worth_keeping(source: int, compressed: int, worth: bool) -> None:
    assert utils.worth_keeping(source, compressed) is worth


@pytest.mark.parametrize(
    ("state", "worth", "todo"),
    [
        ("fresh", True, "keep"),
        ("fresh", False, "keep"),
        ("missing", True, "write"),
        ("missing", False, "none"),
        ("stale", True, "write"),
        ("stale", False, "remove"),
    ],
)
def test_action(state: str, worth: bool, todo: str) -> None:
    assert utils.action(state, worth) == todo


def run(tmp_path: Path, check: bool = False, **args: Any) -> dict[str, Any]:
    arguments = {"extensions": ["css", "js", "svg", "txt"], "encodings": ["gzip"], **args}
    arguments["_ansible_check_mode"] = check
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": arguments}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "collections"), *sys.path])}
    done = subprocess.run(
        [sys.executable, str(MODULE), str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    return json.loads(done.stdout)


def tree(tmp_path: Path) -> Path:
    static = tmp_path / "release" / "src" / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: red; }\n" * 200)
    (static / "css" / "tiny.css").write_text("a{}")
    (static / "img").mkdir()
    (static / "img" / "logo.svg").write_text("<svg>" + "<g/>" * 300 + "</svg>")
    (static / "img" / "photo.png").write_bytes(b"\x89PNG" + b"x" * 2000)
    (static / "noise.txt").write_bytes(os.urandom(4000))  # gzip makes it bigger
    (static / "old.css.gz").write_bytes(b"not ours")
    for path in static.rglob("*"):
        os.utime(path, (1_600_000_000, 1_600_000_000))
    # The release's `static` link, as flaskstack.web.app makes it.
    (tmp_path / "release" / "static").symlink_to("src/static")
    return static


def test_writes_variants_then_nothing_to_do(tmp_path: Path) -> None:
    static = tree(tmp_path)
    link = str(tmp_path / "release" / "static")
    checked = run(tmp_path, check=True, path=link)
    assert checked["changed"] is True and checked["written"] == [
        "css/site.css.gz",
        "img/logo.svg.gz",
    ]
    assert not (static / "css" / "site.css.gz").exists()
    assert not (static / "img" / "logo.svg.gz").exists()

    first = run(tmp_path, path=link)
    assert first["changed"] is True
    assert first["written"] == ["css/site.css.gz", "img/logo.svg.gz"]
    assert first["files"] == 3 and first["not_smaller"] == 1 and first["removed"] == []
    assert not (static / "noise.txt.gz").exists() and not (static / "css" / "tiny.css.gz").exists()
    assert not (static / "img" / "photo.png.gz").exists()
    assert (static / "old.css.gz").read_bytes() == b"not ours"
    for name in ("css/site.css", "img/logo.svg"):
        source, variant = static / name, static / f"{name}.gz"
        assert gzip.decompress(variant.read_bytes()) == source.read_bytes()
        assert variant.stat().st_mtime_ns == source.stat().st_mtime_ns
        assert variant.stat().st_mode == source.stat().st_mode
    sizes = first["bytes"]["gzip"]
    assert (
        sizes["source"]
        == (static / "css/site.css").stat().st_size + (static / "img/logo.svg").stat().st_size
    )
    assert 0 < sizes["compressed"] < sizes["source"] / 5
    assert not list(static.rglob(".*"))  # no temporary file left

    for check in (True, False):
        again = run(tmp_path, check=check, path=link)
        assert again["changed"] is False and again["written"] == [] and again["fresh"] == 2


def test_stale_variants_are_rewritten_or_removed(tmp_path: Path) -> None:
    static = tree(tmp_path)
    run(tmp_path, path=str(static))
    site = static / "css" / "site.css"
    site.write_text("p { margin: 0 }\n" * 100)  # a new mtime: the variant is stale
    (static / "noise.txt.gz").write_bytes(b"stale")  # not worth writing: removed
    result = run(tmp_path, path=str(static))
    assert result["written"] == ["css/site.css.gz"] and result["removed"] == ["noise.txt.gz"]
    assert gzip.decompress((static / "css/site.css.gz").read_bytes()) == site.read_bytes()
    assert not (static / "noise.txt.gz").exists()


def test_missing_path_changes_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, path=str(tmp_path / "nothing"))
    assert result["changed"] is False and result["exists"] is False
    (tmp_path / "file").write_text("x")
    assert run(tmp_path, path=str(tmp_path / "file"))["failed"] is True


def test_brotli(tmp_path: Path) -> None:
    brotli = pytest.importorskip("brotli")
    static = tree(tmp_path)
    result = run(tmp_path, path=str(static), encodings=["gzip", "br"])
    assert result["written"] == [
        "css/site.css.gz",
        "css/site.css.br",
        "img/logo.svg.gz",
        "img/logo.svg.br",
    ]
    for name in ("css/site.css", "img/logo.svg"):
        source = (static / name).read_bytes()
        assert brotli.decompress((static / f"{name}.br").read_bytes()) == source
        assert (static / f"{name}.br").stat().st_size < (static / f"{name}.gz").stat().st_size
    assert run(tmp_path, path=str(static), encodings=["gzip", "br"])["changed"] is False
