#!/usr/bin/python
"""Module flaskstack.web.host_state: what a role decides from, read in one module call."""

from __future__ import annotations

import datetime
import glob
import grp
import hashlib
import os
import pwd
import stat
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: host_state
short_description: Read paths, files, accounts and systemd units in one call, changing nothing
description:
  - Reads each path of O(paths) the way M(ansible.builtin.stat) does (without checksums), the
    paths each pattern of O(globs) matches, the text of each file of O(contents) the way
    M(ansible.builtin.slurp) does, the accounts of O(users) and O(groups) the way
    M(ansible.builtin.getent) does, and the properties of each unit of O(units) the way
    M(ansible.builtin.systemd_service) does without a state, the X.509 certificates of
    O(certificates) and the private keys of O(private_keys), and with O(packages) the Debian
    packages installed, in one module call.
  - A role that decides what to do from the host reads it once with this module, where a
    M(ansible.builtin.stat) or M(ansible.builtin.systemd_service) task per path or unit costs a
    module call each (0.5-1.2 s over SSH or docker exec on a 2-core host).
  - Nothing is changed, so it runs the same in check mode.
requirements:
  - Python 3.11 or later on the host (O(globs) include hidden entries), as on Debian 12 and 13.
version_added: 1.0.0
author: flaskstack.web
options:
  paths:
    description:
      - Absolute paths to read.
      - A link is followed for RV(paths.exists), RV(paths.isreg), RV(paths.isdir) and
        RV(paths.mtime), as M(ansible.builtin.stat) does with C(follow=true).
    type: list
    elements: path
    default: []
  globs:
    description:
      - Absolute shell patterns (C(*), C(?), C([...])); each is returned with the paths it
        matches, hidden ones included, each read as in O(paths).
    type: list
    elements: str
    default: []
  trees:
    description:
      - Absolute directories to list recursively, as M(ansible.builtin.find) does with
        C(recurse), C(hidden), C(file_type=any) and C(get_checksum). Links are not followed.
      - Each entry under the directory (not the directory itself) is returned with its
        C(path), C(isdir), C(isreg), C(islnk), C(mode) (an octal string such as C(0644)),
        C(uid), C(gid) and, for a regular file, its SHA-1 C(checksum).
    type: list
    elements: path
    default: []
  files:
    description:
      - Absolute paths to read without following a link, the way M(flaskstack.web.paths)
        compares them. Each is returned with C(type) (C(directory), C(file), C(link), C(other)
        or C(absent)), C(owner) and C(group) (names, or the number when it has no name), C(uid),
        C(gid), C(mode) (an octal string such as C(0644)), C(src) (what a link points to),
        C(mtime) (of the path itself in seconds since the epoch, for a link its own time, so
        when it was made or last re-pointed) and, for a regular file of up to 1 MiB, its SHA-1
        C(checksum) (empty for a larger one).
      - Give the result to the O(flaskstack.web.paths#module:known) option of a later
        M(flaskstack.web.paths) task. When every path it manages is read as wanted there, that
        task makes no module call.
    type: list
    elements: path
    default: []
  contents:
    description:
      - Absolute paths of text files (up to 1 MiB each) to return the content of.
      - Give the task C(no_log) when a file holds secrets.
    type: list
    elements: path
    default: []
  users:
    description: Names of accounts to look up in the passwd database.
    type: list
    elements: str
    default: []
  groups:
    description: Names of groups to look up in the group database.
    type: list
    elements: str
    default: []
  units:
    description: Names of systemd units to read (C(name.service), C(name.socket), ...). A unit
      that does not exist is returned with C(LoadState=not-found).
    type: list
    elements: str
    default: []
  certificates:
    description:
      - Absolute paths of PEM certificate files to read. Each is returned with C(exists),
        C(valid) (the first certificate in it parses), its C(pem) (that certificate as text,
        for the P(community.crypto.x509_certificate_info#filter) filter on the controller) and
        the SHA-256 C(public_key_fingerprint) of its public key, in the form community.crypto
        gives fingerprints (colon-separated hex).
      - Needs the Python cryptography library on the host (Debian's C(python3-cryptography)).
    type: list
    elements: path
    default: []
  private_keys:
    description:
      - Absolute paths of PEM private keys (without a passphrase) to read. Each is returned with
        C(exists), C(valid) (it parses), C(type) (C(RSA), C(ECC) or C(other)), C(size) in bits,
        C(curve) (the curve's name, such as C(secp256r1), for an ECC key) and the SHA-256
        C(public_key_fingerprint) of its public key, as for O(certificates). Nothing of the
        private key itself is returned.
      - Needs the Python cryptography library on the host.
    type: list
    elements: path
    default: []
  resources:
    description:
      - Also return RV(resources), what the host has to run workers on.
    type: bool
    default: false
  packages:
    description:
      - Also read the Debian packages installed (dpkg's status file) and return them as the fact
        C(ansible_facts.packages), in the form M(ansible.builtin.package_facts) gives
        (name to a list of C(name), C(version), C(arch), C(source)).
      - M(flaskstack.web.packages) answers from that fact without a module call of its own, so a
        role's read can take what its package task would otherwise read.
      - Only packages in the C(installed) state count. No dpkg status file, no fact.
    type: bool
    default: false
  timestamps:
    description:
      - How the unit properties whose names end in C(Timestamp) (C(ExecMainStartTimestamp),
        C(ActiveEnterTimestamp), ...) are returned.
      - V(text) as C(systemctl show) prints them (C(Mon 2026-12-07 17:15:24 UTC)).
      - V(epoch) in seconds since the epoch with microseconds (C(1796663724.991867)), V(0) for
        a time that never was, so that a role can compare them with the C(mtime) of files, e.g.
        whether a service started before its environment file changed.
    type: str
    choices: [text, epoch]
    default: text
  properties:
    description: The unit properties to return.
    type: list
    elements: str
    default:
      [ActiveState, SubState, LoadState, UnitFileState, NeedDaemonReload, MainPID, StatusText]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the live release, the units' files and the service state
  flaskstack.web.host_state:
    paths:
      - /srv/app/current
      - /etc/systemd/system/gunicorn-app.service
    units:
      - gunicorn-app.service
      - gunicorn-app.socket
  register: state
# state.paths['/srv/app/current'].lnk_source, state.units['gunicorn-app.service'].ActiveState

- name: Read the account, the environment file and the releases
  flaskstack.web.host_state:
    users: [app]
    groups: [app]
    contents: [/etc/app/env]
    globs: [/srv/app/releases/*]
  register: state
  no_log: true  # the environment file holds secrets
# state.users.app.exists, state.contents['/etc/app/env'],
# state.globs['/srv/app/releases/*'] | map(attribute='path')
"""

RETURN = r"""
paths:
  description: Each path of O(paths) with what is there.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the path (the link's target, for a link) exists.
      type: bool
    islnk:
      description: Whether the path is a symbolic link.
      type: bool
    lnk_target:
      description: What a link points to, as written in it (empty when not a link).
      type: str
    lnk_source:
      description: The absolute path a link resolves to (empty when not a link).
      type: str
    isreg:
      description: A regular file (through a link).
      type: bool
    isdir:
      description: A directory (through a link).
      type: bool
    mtime:
      description: Modification time in seconds since the epoch (through a link; 0 when absent).
      type: float
globs:
  description: Each pattern of O(globs) with the list of what it matches, sorted by path, each
    item as in RV(paths) plus its C(path).
  returned: always
  type: dict
files:
  description: Each path of O(files) with what is there, as described under O(files).
  returned: always
  type: dict
trees:
  description: Each directory of O(trees) with the list of what is under it, sorted by path; a
    missing directory has an empty list.
  returned: always
  type: dict
contents:
  description: Each file of O(contents) with its text; null when it is missing or not a regular
    file.
  returned: always
  type: dict
users:
  description: Each account of O(users) with C(exists), and C(uid), C(gid), C(home) and
    C(shell) when it exists.
  returned: always
  type: dict
groups:
  description: Each group of O(groups) with C(exists), and C(gid) when it exists.
  returned: always
  type: dict
units:
  description: Each unit of O(units) with the properties of O(properties), as systemctl shows
    them (strings).
  returned: always
  type: dict
certificates:
  description: Each path of O(certificates) as described there.
  returned: always
  type: dict
private_keys:
  description: Each path of O(private_keys) as described there.
  returned: always
  type: dict
resources:
  description:
    - With O(resources), C(vcpus) (the CPUs this process may run on, so a cpuset limit counts;
      the fact C(processor_vcpus) counts every CPU of the machine) and C(memtotal_mb) (MemTotal
      of C(/proc/meminfo), as the fact C(memtotal_mb)). The hardware facts take ~0.2 s more to
      gather than the others together.
  returned: when O(resources) is true
  type: dict
ansible_facts:
  description: With O(packages), C(packages), the Debian packages installed.
  returned: when O(packages) is true and dpkg's status file can be read
  type: dict
"""


def read_path(path: str) -> dict[str, Any]:
    islnk = os.path.islink(path)
    try:
        info = os.stat(path)
    except OSError:
        info = None
    return {
        "exists": info is not None,
        "islnk": islnk,
        "lnk_target": os.readlink(path) if islnk else "",
        "lnk_source": os.path.realpath(path) if islnk else "",
        "isreg": info is not None and stat.S_ISREG(info.st_mode),
        "isdir": info is not None and stat.S_ISDIR(info.st_mode),
        "mtime": info.st_mtime if info is not None else 0,
    }


def read_glob(pattern: str) -> list[dict[str, Any]]:
    return [
        {"path": path, **read_path(path)}
        for path in sorted(glob.glob(pattern, include_hidden=True))
    ]


def read_tree(top: str) -> list[dict[str, Any]]:
    entries = []
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                info = os.lstat(path)
            except FileNotFoundError:  # removed while the tree was read
                continue
            entry = {
                "path": path,
                "isdir": stat.S_ISDIR(info.st_mode),
                "isreg": stat.S_ISREG(info.st_mode),
                "islnk": stat.S_ISLNK(info.st_mode),
                "mode": f"{stat.S_IMODE(info.st_mode):04o}",
                "uid": info.st_uid,
                "gid": info.st_gid,
                "checksum": "",
            }
            if entry["isreg"]:
                with open(path, "rb") as fh:
                    # SHA-1 as find get_checksum gives it: it detects a change.
                    entry["checksum"] = hashlib.sha1(fh.read()).hexdigest()
            entries.append(entry)
    return sorted(entries, key=lambda entry: entry["path"])


MAX_CONTENT = 1024 * 1024
_TYPES = {stat.S_IFDIR: "directory", stat.S_IFREG: "file", stat.S_IFLNK: "link"}


def _name(table: Any, number: int) -> str:
    try:
        return table(number)[0]
    except KeyError:
        return str(number)


def read_file(path: str) -> dict[str, Any]:
    """The path as flaskstack.web.paths compares it (not following a link)."""
    try:
        info = os.lstat(path)
    except OSError:  # missing, or a parent is not a directory
        return {"type": "absent"}
    kind = _TYPES.get(stat.S_IFMT(info.st_mode), "other")
    read = {
        "type": kind,
        "owner": _name(pwd.getpwuid, info.st_uid),
        "group": _name(grp.getgrgid, info.st_gid),
        "uid": info.st_uid,
        "gid": info.st_gid,
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "src": os.readlink(path) if kind == "link" else "",
        "mtime": info.st_mtime,
        "checksum": "",
    }
    # Logs can be large and are never compared by content: only files the size of a configuration.
    if kind == "file" and info.st_size <= MAX_CONTENT:
        try:
            with open(path, "rb") as fh:
                read["checksum"] = hashlib.sha1(fh.read()).hexdigest()
        except OSError:  # unreadable: no checksum, so a content compared with it differs
            pass
    return read


def read_content(module: AnsibleModule, path: str) -> str | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if info.st_size > MAX_CONTENT:
        module.fail_json(msg=f"contents: {path} is larger than {MAX_CONTENT} bytes")
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            return fh.read()
    except OSError as exc:
        module.fail_json(msg=f"contents: cannot read {path}: {exc.strerror}")
    return None


def read_user(name: str) -> dict[str, Any]:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return {"exists": False}
    return {
        "exists": True,
        "uid": entry.pw_uid,
        "gid": entry.pw_gid,
        "home": entry.pw_dir,
        "shell": entry.pw_shell,
    }


def read_group(name: str) -> dict[str, Any]:
    try:
        return {"exists": True, "gid": grp.getgrnam(name).gr_gid}
    except KeyError:
        return {"exists": False}


def epoch(text: str) -> str:
    """A timestamp as `systemctl show --timestamp=us+utc` prints it ("Mon 2026-12-07
    17:15:24.991867 UTC"; empty or "n/a" when it never was) in seconds since the epoch. The
    weekday is skipped: its name follows the locale, the date and time do not."""
    parts = text.split()
    if len(parts) != 4 or parts[3] != "UTC":
        return "0"
    when = datetime.datetime.strptime(f"{parts[1]} {parts[2]}", "%Y-%m-%d %H:%M:%S.%f")
    return f"{when.replace(tzinfo=datetime.UTC).timestamp():.6f}"


def read_unit(
    module: AnsibleModule, systemctl: str, unit: str, names: list[str], timestamps: str = "text"
) -> dict[str, str]:
    # One unit per call: with several units systemctl leaves out empty properties per block,
    # which would make the blocks ambiguous. Each call costs milliseconds, not a module call.
    style = ["--timestamp=us+utc"] if timestamps == "epoch" else []
    rc, out, err = module.run_command(
        [systemctl, "show", *style, "--property=" + ",".join(names), "--", unit]
    )
    if rc != 0:
        module.fail_json(msg=f"systemctl show {unit} failed: {err.strip() or out.strip()}", rc=rc)
    found = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    read = {name: found.get(name, "") for name in names}
    if timestamps == "epoch":
        read.update({name: epoch(read[name]) for name in names if name.endswith("Timestamp")})
    return read


def _fingerprint(public_key: Any) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, as community.crypto's public_key_fingerprints."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha256(der).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _pem(module: AnsibleModule, option: str, path: str) -> bytes | None:
    """The file's bytes, or None when there is no regular file (up to MAX_CONTENT)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CONTENT:
        return b""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        module.fail_json(msg=f"{option}: cannot read {path}: {exc.strerror}")
    return None


def read_certificate(module: AnsibleModule, path: str) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = _pem(module, "certificates", path)
    if data is None:
        return {"exists": False, "valid": False}
    try:
        cert = x509.load_pem_x509_certificate(data)
    except ValueError:  # garbage, empty, not PEM, or not a certificate
        return {"exists": True, "valid": False}
    return {
        "exists": True,
        "valid": True,
        "pem": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "public_key_fingerprint": _fingerprint(cert.public_key()),
    }


def read_private_key(module: AnsibleModule, path: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    data = _pem(module, "private_keys", path)
    if data is None:
        return {"exists": False, "valid": False}
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):  # garbage, or a passphrase it was not given
        return {"exists": True, "valid": False}
    read: dict[str, Any] = {"exists": True, "valid": True, "type": "other", "size": 0, "curve": ""}
    if isinstance(key, rsa.RSAPrivateKey):
        read.update(type="RSA", size=key.key_size)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        read.update(type="ECC", size=key.curve.key_size, curve=key.curve.name)
    read["public_key_fingerprint"] = _fingerprint(key.public_key())
    return read


def _crypto_reads(module: AnsibleModule) -> tuple[dict[str, Any], dict[str, Any]]:
    if not (module.params["certificates"] or module.params["private_keys"]):
        return {}, {}
    # A probe, not a use: a host without the library fails here with a message that names the
    # Debian package, instead of an ImportError from inside read_certificate. Nothing is hidden:
    # the except branch fails the module. Imported only when certificates or keys are asked for.
    try:
        import cryptography  # noqa: F401  # pylint: disable=unused-import
    except ImportError:
        module.fail_json(
            msg="certificates and private_keys need the Python cryptography library on the host "
            "(Debian: python3-cryptography)"
        )
    return (
        {path: read_certificate(module, path) for path in module.params["certificates"]},
        {path: read_private_key(module, path) for path in module.params["private_keys"]},
    )


def read_resources() -> dict[str, int]:
    memtotal_kb = 0
    with open("/proc/meminfo", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                memtotal_kb = int(line.split()[1])
                break
    return {"vcpus": len(os.sched_getaffinity(0)), "memtotal_mb": memtotal_kb // 1024}


DPKG_STATUS = "/var/lib/dpkg/status"


def parse_dpkg_status(text: str) -> dict[str, list[dict[str, str]]]:
    """The installed packages in dpkg's status file, in the form ansible.builtin.package_facts
    gives: name -> [{name, version, arch, source}]."""
    packages: dict[str, list[dict[str, str]]] = {}
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            key, sep, value = line.partition(": ")
            if sep and not line.startswith((" ", "\t")):
                fields[key] = value.strip()
        # Status: <want> <error> <state>; only "installed" is installed (not config-files,
        # half-installed, unpacked, ...).
        if fields.get("Package") and fields.get("Status", "").split()[-1:] == ["installed"]:
            packages.setdefault(fields["Package"], []).append(
                {
                    "name": fields["Package"],
                    "version": fields.get("Version", ""),
                    "arch": fields.get("Architecture", ""),
                    "source": "apt",
                }
            )
    return packages


def read_packages() -> dict[str, Any]:
    """The packages fact, or no fact when there is no dpkg database to read."""
    try:
        with open(DPKG_STATUS, encoding="utf-8", errors="replace") as fh:
            return {"packages": parse_dpkg_status(fh.read())}
    except OSError:
        return {}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "default": []},
            "globs": {"type": "list", "elements": "str", "default": []},
            "trees": {"type": "list", "elements": "path", "default": []},
            "files": {"type": "list", "elements": "path", "default": []},
            "contents": {"type": "list", "elements": "path", "default": []},
            "users": {"type": "list", "elements": "str", "default": []},
            "groups": {"type": "list", "elements": "str", "default": []},
            "units": {"type": "list", "elements": "str", "default": []},
            "certificates": {"type": "list", "elements": "path", "default": []},
            "private_keys": {"type": "list", "elements": "path", "default": []},
            "resources": {"type": "bool", "default": False},
            "packages": {"type": "bool", "default": False},
            "timestamps": {"type": "str", "default": "text", "choices": ["text", "epoch"]},
            "properties": {
                "type": "list",
                "elements": "str",
                "default": [
                    "ActiveState",
                    "SubState",
                    "LoadState",
                    "UnitFileState",
                    "NeedDaemonReload",
                    "MainPID",
                    "StatusText",
                ],
            },
        },
        supports_check_mode=True,
    )
    for option in ("paths", "globs", "trees", "files", "contents", "certificates", "private_keys"):
        relative = [path for path in module.params[option] if not os.path.isabs(path)]
        if relative:
            module.fail_json(msg=f"{option} must be absolute: {', '.join(relative)}")
    units: dict[str, dict[str, str]] = {}
    if module.params["units"]:
        systemctl = module.get_bin_path("systemctl", required=True)
        units = {
            unit: read_unit(
                module, systemctl, unit, module.params["properties"], module.params["timestamps"]
            )
            for unit in module.params["units"]
        }
    certificates, private_keys = _crypto_reads(module)
    extra = {"resources": read_resources()} if module.params["resources"] else {}
    module.exit_json(
        changed=False,
        **extra,
        paths={path: read_path(path) for path in module.params["paths"]},
        globs={pattern: read_glob(pattern) for pattern in module.params["globs"]},
        trees={top: read_tree(top) for top in module.params["trees"]},
        files={path: read_file(path) for path in module.params["files"]},
        contents={path: read_content(module, path) for path in module.params["contents"]},
        users={name: read_user(name) for name in module.params["users"]},
        groups={name: read_group(name) for name in module.params["groups"]},
        units=units,
        certificates=certificates,
        private_keys=private_keys,
        ansible_facts=read_packages() if module.params["packages"] else {},
    )


if __name__ == "__main__":
    main()
