"""Filters for the collection's systemd units: one list of sandbox directives for every unit that
runs the app's code, and argv lists written as an Exec line.

flaskstack.web.systemd_sandbox: the hardening every unit that runs the app's code gets (the
gunicorn service, the processes role's workers and timers; the app role's release hooks take the
same list as systemd-run properties), so that a directive added here reaches all of them and none
can drift. The three values that are settings of the roles (umask, writable paths, address
families) are the input; everything else is fixed.

flaskstack.web.systemd_command: an argv list (what the roles take as a command: no shell) as the
value of ExecStart=, so systemd runs exactly that argv. Every argument but the executable is
quoted with C-style escapes, `%` is doubled (systemd's specifiers are not the user's), and `$`
is left as it is: systemd expands `${VAR}` (and `$VAR` as a whole word) from the unit's
environment and environment file, `$$` is a literal `$`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError


def systemd_sandbox(settings: Mapping[str, Any]) -> list[str]:
    """The sandbox directives ("Name=value") for `settings`: umask (octal string),
    read_write_paths (list: the paths as systemd takes them, `-` for optional ones) and
    address_families (list of AF_* names)."""
    if not isinstance(settings, Mapping):
        raise AnsibleFilterError("systemd_sandbox: the input must be a dict")
    missing = [k for k in ("umask", "read_write_paths", "address_families") if k not in settings]
    if missing:
        raise AnsibleFilterError(f"systemd_sandbox: missing {', '.join(missing)}")
    for key in ("read_write_paths", "address_families"):
        value = settings[key]
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise AnsibleFilterError(f"systemd_sandbox: {key} must be a list")
    return [
        f"UMask={settings['umask']}",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "AmbientCapabilities=",
        "ProtectSystem=strict",
        "ReadWritePaths=" + " ".join(str(p) for p in settings["read_write_paths"]),
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "PrivateMounts=yes",
        "DevicePolicy=closed",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "ProtectProc=invisible",
        "ProcSubset=pid",
        "RestrictAddressFamilies=" + " ".join(str(f) for f in settings["address_families"]),
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "RemoveIPC=yes",
        "SystemCallArchitectures=native",
        "SystemCallFilter=@system-service",
        "SystemCallFilter=~@privileged @resources",
        "SystemCallErrorNumber=EPERM",
    ]


# An executable systemd takes unquoted: an absolute path or a bare name (looked up in
# ExecSearchPath=), without the prefixes systemd reads from its first character (@-:+!).
_EXECUTABLE = re.compile(r"^(/[A-Za-z0-9_.,+/-]+|[A-Za-z0-9_.][A-Za-z0-9_.,+-]*)$")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "%": "%%"}


def _quote(arg: str) -> str:
    out = []
    for char in arg:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def systemd_command(argv: Sequence[Any]) -> str:
    """`argv` as the value of an Exec*= line: the executable as it is, every argument quoted."""
    if isinstance(argv, str) or not isinstance(argv, Sequence) or not argv:
        raise AnsibleFilterError("systemd_command: the input must be a non-empty list of strings")
    if not all(isinstance(arg, str) for arg in argv):
        raise AnsibleFilterError(f"systemd_command: every argument must be a string: {argv!r}")
    executable = argv[0]
    if not _EXECUTABLE.match(executable):
        raise AnsibleFilterError(
            f"systemd_command: {executable!r} is not an absolute path or a bare command name"
        )
    return " ".join([executable, *(_quote(arg) for arg in argv[1:])])


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"systemd_sandbox": systemd_sandbox, "systemd_command": systemd_command}
