#!/usr/bin/python
"""Module flaskstack.web.host_state: what a role decides from, read in one module call."""

from __future__ import annotations

import os
import stat
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: host_state
short_description: Read many paths and systemd units in one module call, changing nothing
description:
  - Reads each path of O(paths) the way M(ansible.builtin.stat) does (without checksums) and the
    properties of each unit of O(units) the way M(ansible.builtin.systemd_service) does without
    a state, in one module call.
  - A role that decides what to do from the host reads it once with this module, where a
    M(ansible.builtin.stat) or M(ansible.builtin.systemd_service) task per path or unit costs a
    module call each (0.5-1.2 s over SSH or docker exec on a 2-core host).
  - Nothing is changed, so it runs the same in check mode.
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
    relative = [path for path in module.params["paths"] if not os.path.isabs(path)]
    if relative:
        module.fail_json(msg=f"paths must be absolute: {', '.join(relative)}")
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
        units=units,
    )


if __name__ == "__main__":
    main()
