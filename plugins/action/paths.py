"""Action flaskstack.web.paths: no module call when an earlier read shows every path as wanted.

A role reads the host once (M(flaskstack.web.host_state)) before it writes; given that read's
C(files) as C(known), this action compares each entry of C(paths) with it on the controller: the
type, owner, group and mode, a link's target and the SHA-1 of a file's content. When every path is
as wanted it returns unchanged without a module call (~0.25 s each over docker exec or SSH on a
2-core host, on every run that changes nothing). Anything else (a path the read does not hold, a
difference, anything this comparison does not understand) goes to the module with the task's
arguments, which decides as it always did. Check mode and diff mode answer the same: nothing to
change, no diff.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from ansible.plugins.action import ActionBase


def _as_wanted(entry: dict[str, Any], read: dict[str, Any] | None) -> bool:
    """Whether the module would leave this one path (an entry with one path) as it is."""
    if not isinstance(read, dict):
        return False
    state = entry.get("state") or "directory"
    validate = entry.get("validate")
    if validate is not None and (
        state != "file" or entry.get("content") is None or "%s" not in validate
    ):
        return False  # the module refuses it: let it say so
    if state == "link":
        plain = all(entry.get(key) is None for key in ("owner", "group", "mode", "content"))
        return plain and read.get("type") == "link" and read.get("src") == entry.get("src")
    if state not in ("directory", "file") or read.get("type") != state:
        return False
    content = entry.get("content")
    if content is not None:
        wanted = hashlib.sha1(str(content).encode()).hexdigest()
        if state != "file" or read.get("checksum") != wanted:
            return False
    for name, number in (("owner", "uid"), ("group", "gid")):
        want = entry.get(name)
        if want is not None and str(want) not in (read.get(name), str(read.get(number))):
            return False
    mode = entry.get("mode")
    if mode is not None:
        try:
            return int(str(mode), 8) == int(str(read.get("mode")), 8)
        except ValueError:  # symbolic: the module works it out
            return False
    return True


def all_as_wanted(entries: Any, known: Any) -> bool:
    """Whether the read C(known) (path -> host_state's files item) shows every path of the
    module's C(paths) argument as the module would leave it."""
    if not isinstance(entries, list) or not entries or not isinstance(known, dict):
        return False
    for entry in entries:
        if not isinstance(entry, dict):
            return False
        paths = entry.get("path")
        for path in paths if isinstance(paths, list) else [paths]:
            if not isinstance(path, str) or not os.path.isabs(path):
                return False
            if not _as_wanted({**entry, "path": path}, known.get(path)):
                return False
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset({"paths", "known"})

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        known = args.pop("known", None)
        # Delegated, the read at hand is of another host: the module decides.
        if not self._task.delegate_to and all_as_wanted(args.get("paths"), known):
            result.update(changed=False, changed_paths=[])
            return result
        try:
            result.update(
                self._execute_module(
                    module_name="flaskstack.web.paths", module_args=args, task_vars=task_vars
                )
            )
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
