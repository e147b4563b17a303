#!/usr/bin/python
"""Module flaskstack.web.host_state: what a role decides from, read in one module call."""

from __future__ import annotations

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
    M(ansible.builtin.systemd_service) does without a state, in one module call.
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
        C(gid), C(mode) (an octal string such as C(0644)), C(src) (what a link points to) and,
        for a regular file of up to 1 MiB, its SHA-1 C(checksum) (empty for a larger one).
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


def read_unit(module: AnsibleModule, systemctl: str, unit: str, names: list[str]) -> dict[str, str]:
    # One unit per call: with several units systemctl leaves out empty properties per block,
    # which would make the blocks ambiguous. Each call costs milliseconds, not a module call.
    rc, out, err = module.run_command(
        [systemctl, "show", "--property=" + ",".join(names), "--", unit]
    )
    if rc != 0:
        module.fail_json(msg=f"systemctl show {unit} failed: {err.strip() or out.strip()}", rc=rc)
    found = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {name: found.get(name, "") for name in names}


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
    for option in ("paths", "globs", "trees", "files", "contents"):
        relative = [path for path in module.params[option] if not os.path.isabs(path)]
        if relative:
            module.fail_json(msg=f"{option} must be absolute: {', '.join(relative)}")
    units: dict[str, dict[str, str]] = {}
    if module.params["units"]:
        systemctl = module.get_bin_path("systemctl", required=True)
        units = {
            unit: read_unit(module, systemctl, unit, module.params["properties"])
            for unit in module.params["units"]
        }
    module.exit_json(
        changed=False,
        paths={path: read_path(path) for path in module.params["paths"]},
        globs={pattern: read_glob(pattern) for pattern in module.params["globs"]},
        trees={top: read_tree(top) for top in module.params["trees"]},
        files={path: read_file(path) for path in module.params["files"]},
        contents={path: read_content(module, path) for path in module.params["contents"]},
        users={name: read_user(name) for name in module.params["users"]},
        groups={name: read_group(name) for name in module.params["groups"]},
        units=units,
    )


if __name__ == "__main__":
    main()
