"""The module flaskstack.web.host_state, run as Ansible runs it (arguments in a JSON file)."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

MODULE = Path(__file__).resolve().parents[2] / "plugins" / "modules" / "host_state.py"

# A stand-in for systemctl: `show --property=A,B -- UNIT` prints what a real one prints for a
# running service, a socket (no MainPID) and a unit that does not exist (rc 0, not-found).
FAKE_SYSTEMCTL = r"""#!/bin/sh
echo "$@" >> "$(dirname "$0")/calls"
for unit; do :; done
case $unit in
  app.service) printf 'MainPID=42\nActiveState=active\n'
    printf 'StatusText=release=abc config=123 started=1.5\nUnitFileState=enabled\n'
    case $2 in
      --timestamp=us+utc) printf 'ExecMainStartTimestamp=Mon 2026-12-07 17:15:24.991867 UTC\n' ;;
      *) printf 'ExecMainStartTimestamp=Mon 2026-12-07 17:15:24 UTC\n' ;;
    esac
    printf 'InactiveExitTimestamp=\n' ;;
  app.socket) printf 'ActiveState=active\nUnitFileState=enabled\n' ;;
  broken.service) echo "Failed to connect to bus" >&2; exit 1 ;;
  *) printf 'MainPID=0\nActiveState=inactive\nStatusText=\nUnitFileState=\nLoadState=not-found\n' ;;
esac
"""


def run(tmp_path: Path, args: dict[str, Any], check: bool = False) -> dict[str, Any]:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    fake = bindir / "systemctl"
    fake.write_text(FAKE_SYSTEMCTL)
    fake.chmod(0o755)
    argfile = tmp_path / "args.json"
    argfile.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {**args, "_ansible_check_mode": check}}))
    done = subprocess.run(
        [sys.executable, str(MODULE), str(argfile)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"},
    )
    return json.loads(done.stdout)


def test_paths_read_as_stat_reads_them(tmp_path: Path) -> None:
    release = tmp_path / "releases" / "r1"
    (release / "venv" / "bin").mkdir(parents=True)
    (release / "venv" / "bin" / "gunicorn").write_text("#!/bin/sh\n")
    os.utime(release / "venv" / "bin" / "gunicorn", (1000, 1000))
    (tmp_path / "current").symlink_to(release)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    current, dangling, missing = tmp_path / "current", tmp_path / "dangling", tmp_path / "missing"
    binary = current / "venv" / "bin" / "gunicorn"
    result = run(tmp_path, {"paths": [str(current), str(binary), str(dangling), str(missing)]})
    assert result["changed"] is False and result["units"] == {}
    paths = result["paths"]
    assert paths[str(current)] == {
        "exists": True,
        "islnk": True,
        "lnk_target": str(release),
        "lnk_source": str(release),
        "isreg": False,
        "isdir": True,
        "mtime": release.stat().st_mtime,
    }
    # Read through the link, like stat with follow.
    assert paths[str(binary)]["isreg"] and paths[str(binary)]["mtime"] == 1000
    assert not paths[str(binary)]["islnk"]
    assert paths[str(dangling)]["islnk"] and not paths[str(dangling)]["exists"]
    assert paths[str(missing)] == {
        "exists": False,
        "islnk": False,
        "lnk_target": "",
        "lnk_source": "",
        "isreg": False,
        "isdir": False,
        "mtime": 0,
    }


def test_units_with_the_properties_asked_for(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        {
            "units": ["app.service", "app.socket", "gone.service"],
            "properties": ["ActiveState", "MainPID", "StatusText", "UnitFileState", "LoadState"],
        },
        check=True,
    )
    assert result["changed"] is False, result
    units = result["units"]
    assert units["app.service"] == {
        "ActiveState": "active",
        "MainPID": "42",
        "StatusText": "release=abc config=123 started=1.5",
        "UnitFileState": "enabled",
        # Not printed for this unit: empty, as systemctl leaves out empty values.
        "LoadState": "",
    }
    assert units["app.socket"]["MainPID"] == "" and units["app.socket"]["ActiveState"] == "active"
    assert units["gone.service"]["LoadState"] == "not-found"
    # One systemctl call per unit, each asking for the properties by name.
    calls = (tmp_path / "bin" / "calls").read_text().splitlines()
    assert calls == [
        f"show --property=ActiveState,MainPID,StatusText,UnitFileState,LoadState -- {unit}"
        for unit in ("app.service", "app.socket", "gone.service")
    ]


def test_timestamps_as_seconds_since_the_epoch(tmp_path: Path) -> None:
    properties = ["ActiveState", "ExecMainStartTimestamp", "InactiveExitTimestamp"]
    text = run(tmp_path, {"units": ["app.service"], "properties": properties})
    assert text["units"]["app.service"]["ExecMainStartTimestamp"] == "Mon 2026-12-07 17:15:24 UTC"
    result = run(
        tmp_path, {"units": ["app.service"], "properties": properties, "timestamps": "epoch"}
    )
    # 2026-12-07 17:15:24.991867 UTC, to the microsecond; a time that never was is 0; other
    # properties as they were.
    assert result["units"]["app.service"] == {
        "ActiveState": "active",
        "ExecMainStartTimestamp": "1796663724.991867",
        "InactiveExitTimestamp": "0",
    }
    calls = (tmp_path / "bin" / "calls").read_text().splitlines()
    assert calls[-1].startswith("show --timestamp=us+utc --property=ActiveState,")


def test_a_failing_systemctl_fails_the_module_naming_the_unit(tmp_path: Path) -> None:
    result = run(tmp_path, {"units": ["broken.service"]})
    assert result["failed"] is True
    assert "systemctl show broken.service failed: Failed to connect to bus" in result["msg"]


def test_relative_paths_are_refused(tmp_path: Path) -> None:
    result = run(tmp_path, {"paths": ["srv/app/current"]})
    assert result["failed"] is True and "srv/app/current" in result["msg"]


def test_globs_contents_and_accounts(tmp_path: Path) -> None:
    releases = tmp_path / "releases"
    for name in ("b", "a", ".half"):
        (releases / name).mkdir(parents=True)
    (releases / "a" / ".release-complete").write_text("")
    os.utime(releases / "a" / ".release-complete", (1000, 1000))
    env = tmp_path / "env"
    env.write_text('SECRET_KEY="k"\n')
    user = pwd.getpwuid(os.getuid())
    group = grp.getgrgid(os.getgid())
    top, markers = f"{releases}/*", f"{releases}/*/.release-complete"
    result = run(
        tmp_path,
        {
            "globs": [top, markers, f"{tmp_path}/nothing/*"],
            "contents": [str(env), str(tmp_path / "missing"), str(releases)],
            "users": [user.pw_name, "no-such-user-here"],
            "groups": [group.gr_name, "no-such-group-here"],
        },
    )
    assert result["changed"] is False
    globs = result["globs"]
    # Sorted, hidden entries included, each read as a path is.
    assert [item["path"] for item in globs[top]] == [
        f"{releases}/.half",
        f"{releases}/a",
        f"{releases}/b",
    ]
    assert all(item["isdir"] and not item["islnk"] for item in globs[top])
    assert [(item["path"], item["isreg"], item["mtime"]) for item in globs[markers]] == [
        (f"{releases}/a/.release-complete", True, 1000)
    ]
    assert globs[f"{tmp_path}/nothing/*"] == []
    # Text of a file; null for a missing path and for a directory.
    assert result["contents"] == {
        str(env): 'SECRET_KEY="k"\n',
        str(tmp_path / "missing"): None,
        str(releases): None,
    }
    assert result["users"] == {
        user.pw_name: {
            "exists": True,
            "uid": user.pw_uid,
            "gid": user.pw_gid,
            "home": user.pw_dir,
            "shell": user.pw_shell,
        },
        "no-such-user-here": {"exists": False},
    }
    assert result["groups"] == {
        group.gr_name: {"exists": True, "gid": group.gr_gid},
        "no-such-group-here": {"exists": False},
    }


def test_relative_globs_and_contents_are_refused(tmp_path: Path) -> None:
    for option in ("globs", "contents"):
        result = run(tmp_path, {option: ["releases/*"]})
        assert result["failed"] is True
        assert result["msg"] == f"{option} must be absolute: releases/*"


def test_trees_list_as_find_does_without_following_links(tmp_path: Path) -> None:
    conf = tmp_path / "nginx"
    (conf / "sites-available").mkdir(parents=True)
    (conf / "sites-enabled").mkdir()
    (conf / "nginx.conf").write_text("events {}\n")
    (conf / "nginx.conf").chmod(0o640)
    (conf / "sites-available" / "default").write_text("server {}\n")
    (conf / "sites-enabled" / "default").symlink_to(conf / "sites-available" / "default")
    (conf / ".hidden").write_text("")
    result = run(tmp_path, {"trees": [str(conf), str(tmp_path / "missing")]})
    tree = {item["path"][len(str(conf)) + 1 :]: item for item in result["trees"][str(conf)]}
    assert list(tree) == sorted(tree)
    assert set(tree) == {
        ".hidden",
        "nginx.conf",
        "sites-available",
        "sites-available/default",
        "sites-enabled",
        "sites-enabled/default",
    }
    conf_file = tree["nginx.conf"]
    assert conf_file["isreg"] and not conf_file["isdir"] and not conf_file["islnk"]
    assert conf_file["mode"] == "0640" and conf_file["uid"] == os.getuid()
    assert conf_file["checksum"] == hashlib.sha1(b"events {}\n").hexdigest()
    assert tree["sites-available"]["isdir"] and tree["sites-available"]["checksum"] == ""
    link = tree["sites-enabled/default"]
    assert link["islnk"] and not link["isreg"] and link["checksum"] == ""
    assert result["trees"][str(tmp_path / "missing")] == []


def test_files_read_as_the_paths_action_compares_them(tmp_path: Path) -> None:
    (tmp_path / "conf").write_text("x = 1\n")
    (tmp_path / "conf").chmod(0o640)
    big = tmp_path / "access.log"
    big.write_bytes(b"." * (1024 * 1024 + 1))
    (tmp_path / "current").symlink_to("releases/r1")  # dangling: read, not followed
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    names = ["conf", "access.log", "current", "fifo", "missing", "conf/under-a-file"]
    result = run(tmp_path, {"files": [str(tmp_path / name) for name in names]})
    files = {
        Path(path).relative_to(tmp_path).as_posix(): read for path, read in result["files"].items()
    }
    me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    assert files["conf"] == {
        "type": "file",
        "owner": me,
        "group": group,
        "uid": os.getuid(),
        "gid": os.getgid(),
        "mode": "0640",
        "src": "",
        "mtime": (tmp_path / "conf").stat().st_mtime,
        "checksum": hashlib.sha1(b"x = 1\n").hexdigest(),
    }
    # Larger than a configuration: never compared by content, so not read.
    assert files["access.log"]["type"] == "file" and files["access.log"]["checksum"] == ""
    assert files["current"]["type"] == "link" and files["current"]["src"] == "releases/r1"
    # A link's own time (when it was pointed there), not its target's: lstat, not stat.
    os.utime(tmp_path / "current", (5000, 5000), follow_symlinks=False)
    again = run(tmp_path, {"files": [str(tmp_path / "current")]})["files"]
    assert again[str(tmp_path / "current")]["mtime"] == 5000
    assert files["fifo"]["type"] == "other"
    assert files["missing"] == files["conf/under-a-file"] == {"type": "absent"}
    assert run(tmp_path, {"files": ["etc/x"]})["failed"]


def test_dpkg_status_parsing() -> None:
    """Only packages in the `installed` state count; continuation lines are not fields."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("host_state", MODULE)
    assert spec and spec.loader
    host_state = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(host_state)
    status = (
        "Package: nginx\nStatus: install ok installed\nVersion: 1.22.1-9\nArchitecture: amd64\n"
        "Description: small\n Package: not-a-field\n\n"
        "Package: held\nStatus: hold ok installed\nVersion: 1\n\n"
        "Package: removed\nStatus: deinstall ok config-files\nVersion: 2\n\n"
        "Package: half\nStatus: install reinstreq half-installed\n"
    )
    parsed = host_state.parse_dpkg_status(status)
    assert sorted(parsed) == ["held", "nginx"]
    assert parsed["nginx"] == [
        {"name": "nginx", "version": "1.22.1-9", "arch": "amd64", "source": "apt"}
    ]


def test_packages_become_the_packages_fact_only_when_asked(tmp_path: Path) -> None:
    """With packages, this machine's dpkg database is the fact package_facts would give; without
    it, no fact at all (a read must not replace facts it was not asked for)."""
    if not Path("/var/lib/dpkg/status").is_file():
        pytest.skip("no dpkg database on this machine")
    facts = run(tmp_path, {"packages": True})["ansible_facts"]["packages"]
    assert facts["dpkg"][0]["name"] == "dpkg" and facts["dpkg"][0]["version"]
    assert run(tmp_path, {})["ansible_facts"] == {}


def _openssl(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def _spki_sha256(public_pem: bytes) -> str:
    """The public key's fingerprint as community.crypto gives it, computed by openssl."""
    der = _openssl("pkey", "-pubin", "-outform", "DER", data=public_pem)
    digest = hashlib.sha256(der).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def test_certificates_and_private_keys(tmp_path: Path) -> None:
    """Keys by type, size, curve and public key (never their content); a certificate's PEM and
    public key; garbage, a directory and a missing path read as not valid."""
    ec_key, rsa_key, cert = tmp_path / "ec.pem", tmp_path / "rsa.pem", tmp_path / "cert.pem"
    _openssl(
        "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(ec_key)
    )
    _openssl(
        "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(rsa_key)
    )
    _openssl("req", "-x509", "-key", str(ec_key), "-subj", "/CN=t", "-days", "1", "-out", str(cert))
    (tmp_path / "garbage.pem").write_text("not a key\n")
    (tmp_path / "dir").mkdir()
    paths = [str(tmp_path / name) for name in ("garbage.pem", "dir", "missing.pem")]
    result = run(
        tmp_path,
        {"certificates": [str(cert), *paths], "private_keys": [str(ec_key), str(rsa_key), *paths]},
    )
    ec_public = _openssl("pkey", "-in", str(ec_key), "-pubout")
    keys, certs = result["private_keys"], result["certificates"]
    assert keys[str(ec_key)] == {
        "exists": True,
        "valid": True,
        "type": "ECC",
        "size": 256,
        "curve": "secp256r1",
        "public_key_fingerprint": _spki_sha256(ec_public),
    }
    assert (keys[str(rsa_key)]["type"], keys[str(rsa_key)]["size"]) == ("RSA", 2048)
    assert certs[str(cert)]["valid"] is True
    assert certs[str(cert)]["public_key_fingerprint"] == _spki_sha256(ec_public)
    assert "BEGIN CERTIFICATE" in certs[str(cert)]["pem"]
    assert "PRIVATE" not in json.dumps(keys)
    for read in (keys, certs):
        assert read[paths[0]] == read[paths[1]] == {"exists": True, "valid": False}
        assert read[paths[2]] == {"exists": False, "valid": False}


def test_resources_only_when_asked(tmp_path: Path) -> None:
    """The CPUs this process may use (a cpuset counts) and MemTotal in MiB."""
    resources = run(tmp_path, {"resources": True})["resources"]
    assert resources["vcpus"] == len(os.sched_getaffinity(0))
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memtotal_kb = int(next(line for line in meminfo if line.startswith("MemTotal:")).split()[1])
    assert resources["memtotal_mb"] == memtotal_kb // 1024 > 0
    assert "resources" not in run(tmp_path, {})
