#!/usr/bin/python
"""Module flaskstack.web.paths: many directories, empty files and links in one module call."""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import stat
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: paths
short_description: Make many directories, files and links exist, in one module call
description:
  - Each entry of O(paths) is made to exist as a directory, a regular file or a symbolic link,
    with the owner, group and mode it names, the way M(ansible.builtin.file) does for one path.
  - One module call for the whole list, where M(ansible.builtin.file) with a loop costs one
    call per path (about 0.4 s each over SSH on a 2-core host); the roles of this collection
    use it for every set of directories they own, so a run that changes nothing reads them all
    at once.
  - A missing directory is created with its missing parents, each parent with the entry's
    owner, group and mode (as M(ansible.builtin.file) does). The directory of a file or a link
    must exist or be an earlier entry. A file is written when its
    O(paths[].content) differs; without content a missing file is created empty and an existing
    file keeps its content and its times. A link is (re)pointed at O(paths[].src)
    by an atomic rename; its target must exist or be an earlier entry (not checked in check
    mode, where earlier tasks created nothing).
  - A path that exists as another type fails the module before anything is changed, naming
    the path.
version_added: 1.0.0
author: flaskstack.web
options:
  paths:
    description: The paths, in the order they are made (a parent before its children).
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - An absolute path, or a list of them that share the entry's other options (made
            in the order given, as if each were an entry of its own).
        type: raw
        required: true
      state:
        description: What the path must be.
        type: str
        choices: [directory, file, link]
        default: directory
      owner:
        description: Owner (name or uid); unchanged when omitted. Not for links.
        type: str
      group:
        description: Group (name or gid); unchanged when omitted. Not for links.
        type: str
      mode:
        description: Mode as an octal string such as V(0755); unchanged when omitted. Not for links.
        type: str
      src:
        description: Where a link points (required for O(paths[].state=link), kept as given).
        type: str
      content:
        description:
          - For O(paths[].state=file), the whole content of the file (text, such as a template
            rendered on the controller with the M(ansible.builtin.template) lookup). A file whose
            content differs is replaced by an atomic rename of a temporary file in the same
            directory, with owner, group and mode set before the rename; the diff shows the
            content before and after.
          - Omitted, the content of an existing file is kept and a missing file is created empty.
        type: str
      validate:
        description:
          - For a file with O(paths[].content), a command that checks the new content before it
            replaces the file, as the C(validate) option of M(ansible.builtin.template)
            does; C(%s) in it is the path of the staged copy (with the entry's owner, group and
            mode). Run only when the content differs (not in check mode, where nothing is
            written).
          - When it exits non-zero the staged copy is removed, the file is left as it was and the
            module fails naming the path and the command's output. Entries before it in O(paths)
            are made by then, so list a validated file after what it may need, or alone.
          - Split into arguments like a shell would, but run without one.
        type: str
  known:
    description:
      - The C(files) of a M(flaskstack.web.host_state) read of this host, taken earlier in the
        run (C(path) -> what is there). When it shows every path of O(paths) as this module would
        leave it (type, owner, group, mode, a link's target, a file's content), the task returns
        unchanged without a module call; otherwise the module runs as without it.
      - Read right before the task. A path changed between the read and the task is not seen.
    type: dict
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Create the release and data directories
  flaskstack.web.paths:
    paths:
      - {path: [/srv/app, /srv/app/releases], owner: root, group: root, mode: "0755"}
      - {path: /var/log/app/access.log, state: file, owner: www-data, group: adm, mode: "0640"}
      - path: /etc/app/app.conf
        state: file
        content: "{{ lookup('ansible.builtin.template', 'app.conf.j2') }}"
        mode: "0644"
      - {path: /srv/app/releases/1/static, state: link, src: src/app/static}
"""

RETURN = r"""
changed_paths:
  description: The paths created or changed (in check mode, those that would be).
  returned: always
  type: list
  elements: str
"""

_KINDS = {"directory": os.path.isdir, "file": os.path.isfile}


def _attrs(entry: dict[str, Any], path: str) -> dict[str, Any]:
    return {
        "path": path,
        "owner": entry.get("owner"),
        "group": entry.get("group"),
        "mode": entry.get("mode"),
        "secontext": None,
        "attributes": None,
    }


def _name(table: Any, number: int) -> str:
    try:
        return table(number)[0]
    except KeyError:
        return str(number)


def _describe(path: str) -> str:
    """One line for the diff: what is at the path now."""
    if not os.path.lexists(path):
        return "absent"
    if os.path.islink(path):
        return f"link -> {os.readlink(path)}"
    info = os.lstat(path)
    kind = "directory" if stat.S_ISDIR(info.st_mode) else "file"
    owner = _name(pwd.getpwuid, info.st_uid)
    group = _name(grp.getgrgid, info.st_gid)
    return f"{kind} {owner}:{group} {stat.S_IMODE(info.st_mode):04o}"


def _wanted(entry: dict[str, Any]) -> str:
    """One line for the diff in check mode: what the path is to become."""
    if entry["state"] == "link":
        return f"link -> {entry['src']}"
    keep = "(kept)"
    return (
        f"{entry['state']} {entry.get('owner') or keep}:{entry.get('group') or keep}"
        f" {entry.get('mode') or keep}"
    )


def _conflict(entry: dict[str, Any], made: dict[str, str], check_mode: bool) -> str | None:
    """Why the entry cannot be made so without removing something, or None. A link's target
    must exist or be made by an earlier entry (in check mode it may be missing: earlier tasks
    did not create it)."""
    path, state = entry["path"], entry["state"]
    if state == "link":
        if entry.get("src") in (None, ""):
            return f"{path}: state=link needs src"
        if any(entry.get(key) is not None for key in ("owner", "group", "mode", "content")):
            return f"{path}: a link takes no owner, group, mode or content"
        if os.path.lexists(path) and not os.path.islink(path):
            return f"{path} exists and is not a link"
        target = os.path.normpath(os.path.join(os.path.dirname(path), entry["src"]))
        if not (os.path.exists(target) or target in made or check_mode):
            return f"{path}: its target {target} does not exist"
    elif os.path.islink(path) or (os.path.lexists(path) and not _KINDS[state](path)):
        return f"{path} exists and is not a {state}"
    elif state == "directory" and entry.get("content") is not None:
        return f"{path}: a directory takes no content"
    if entry.get("validate") is not None and (state != "file" or entry.get("content") is None):
        return f"{path}: validate needs state=file and content"
    if entry.get("validate") is not None and "%s" not in entry["validate"]:
        return f"{path}: validate must contain %s (got {entry['validate']!r})"
    # Only a directory entry creates its parents (with its own owner and mode, which suit a
    # directory and not a file): a file's or a link's directory exists or is an earlier entry.
    parent = os.path.dirname(path)
    parent_made = made.get(parent) == "directory"
    if state != "directory" and not (os.path.isdir(parent) or parent_made or check_mode):
        return f"{path}: its directory {parent} is not there (list it as an earlier entry)"
    return None


def _make(module: AnsibleModule, entry: dict[str, Any]) -> bool:
    """Create what is missing and set owner, group and mode; True when anything changed."""
    path, state = entry["path"], entry["state"]
    if state == "link":
        if os.path.islink(path) and os.readlink(path) == entry["src"]:
            return False
        if not module.check_mode:
            staged = f"{path}.flaskstack-{os.getpid()}"
            os.symlink(entry["src"], staged)
            os.replace(staged, path)
        return True
    changed = False
    missing: list[str] = []
    cursor = path if state == "directory" else ""
    while cursor not in ("", "/") and not os.path.lexists(cursor):
        missing.insert(0, cursor)
        cursor = os.path.dirname(cursor)
    if missing or not os.path.lexists(path):
        changed = True
        if module.check_mode:
            return True
    for directory in missing:
        os.mkdir(directory)
        module.set_fs_attributes_if_different(_attrs(entry, directory), True, expand=False)
    if state == "file" and entry.get("content") is not None:
        wanted = entry["content"].encode()
        if _read(path) != wanted:
            if not module.check_mode:
                _replace(module, entry, wanted)
            return True
    elif state == "file" and not os.path.lexists(path):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    return module.set_fs_attributes_if_different(_attrs(entry, path), changed, expand=False)


def _read(path: str) -> bytes | None:
    if not os.path.lexists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read()


def _replace(module: AnsibleModule, entry: dict[str, Any], content: bytes) -> None:
    """Write the content beside the file, give it its owner and mode, then rename it over."""
    path = entry["path"]
    handle, staged = tempfile.mkstemp(
        dir=os.path.dirname(path), prefix=f".{os.path.basename(path)}."
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        if entry.get("mode") is None and os.path.exists(path):
            os.chmod(staged, stat.S_IMODE(os.stat(path).st_mode))
        elif entry.get("mode") is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(staged, 0o666 & ~umask)
        module.set_fs_attributes_if_different(_attrs(entry, staged), True, expand=False)
        if entry.get("validate"):
            _validate(module, entry, staged)
        os.replace(staged, path)
    except BaseException:
        if os.path.lexists(staged):
            os.unlink(staged)
        raise


def _validate(module: AnsibleModule, entry: dict[str, Any], staged: str) -> None:
    """Run the entry's validate command on the staged copy; fail (the caller removes the copy)."""
    command = entry["validate"]
    argv = [word.replace("%s", staged) for word in shlex.split(command)]
    rc, out, err = module.run_command(argv)
    if rc != 0:
        raise ValueError(
            f"{entry['path']}: the new content failed to validate with `{command}` (rc {rc}), "
            f"the file is unchanged: {err.strip() or out.strip()}"
        )


def _expand(module: AnsibleModule, given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per path: an entry whose path is a list stands for one entry per item."""
    entries = []
    for entry in given:
        paths = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
        for path in paths:
            if not isinstance(path, str) or not os.path.isabs(path):
                module.fail_json(msg=f"paths: {path!r} is not an absolute path", changed_paths=[])
            entries.append({**entry, "path": path})
    return entries


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "paths": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "path": {"type": "raw", "required": True},
                    "state": {
                        "type": "str",
                        "choices": ["directory", "file", "link"],
                        "default": "directory",
                    },
                    "owner": {"type": "str"},
                    "group": {"type": "str"},
                    "mode": {"type": "str"},
                    "src": {"type": "str"},
                    "content": {"type": "str"},
                    "validate": {"type": "str"},
                },
            },
            # Compared by the action on the controller (plugins/action/paths.py), not here.
            "known": {"type": "dict"},
        },
        supports_check_mode=True,
    )
    entries = _expand(module, module.params["paths"])
    made: dict[str, str] = {}
    conflicts = []
    for entry in entries:
        reason = _conflict(entry, made, module.check_mode)
        if reason:
            conflicts.append(reason)
        if entry["state"] != "link":
            made[os.path.normpath(entry["path"])] = entry["state"]
    if conflicts:
        module.fail_json(msg="paths: " + "; ".join(conflicts), changed_paths=[])
    before = {entry["path"]: _describe(entry["path"]) for entry in entries}
    texts = {
        entry["path"]: (_read(entry["path"]) or b"").decode(errors="replace")
        for entry in entries
        if entry.get("content") is not None
    }
    changed = []
    for entry in entries:
        try:
            if _make(module, entry):
                changed.append(entry)
        except ValueError as failed:
            module.fail_json(
                msg=f"paths: {failed}",
                changed=bool(changed),
                changed_paths=[entry["path"] for entry in changed],
            )
    after = {
        entry["path"]: _wanted(entry) if module.check_mode else _describe(entry["path"])
        for entry in changed
    }
    module.exit_json(
        changed=bool(changed),
        changed_paths=[entry["path"] for entry in changed],
        diff=[
            {
                "before": "".join(f"{path}: {before[path]}\n" for path in after),
                "after": "".join(f"{path}: {line}\n" for path, line in after.items()),
            }
        ]
        + [
            {
                "before_header": entry["path"],
                "after_header": entry["path"],
                "before": texts[entry["path"]],
                "after": entry["content"],
            }
            for entry in changed
            if entry["path"] in texts and texts[entry["path"]] != entry["content"]
        ],
    )


if __name__ == "__main__":
    main()
