"""Filters of the processes role: which systemd units an app's workers and timers are, and what
to do with them, decided from one read of the host (flaskstack.web.host_state).

flaskstack.web.processes_units: the unit files the role writes, the units it reads and the globs
that find what it wrote before.

flaskstack.web.processes_plan: from that read, what to retire (stop, disable), which files to
remove, whether systemd must reload, and what to enable, start and restart. Nothing here depends
on what the current run did before, except the files it wrote: a run interrupted anywhere leaves
the host in a state the next run's read sees and finishes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

_INSTANCE = re.compile(r"^(?P<base>[^@]+)@(?P<instance>[^.]*)\.service$")


def _names(config: Mapping[str, Any]) -> dict[str, Any]:
    try:
        app, unit_dir = config["app"], config["unit_dir"].rstrip("/")
        workers, timers = list(config["workers"]), list(config["timers"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError(f"processes: incomplete configuration ({exc})") from exc
    prefix = f"flaskstack-{app}-"
    out: dict[str, Any] = {"prefix": prefix, "workers": [], "timers": []}
    for worker in workers:
        base = f"{prefix}{worker['name']}"
        out["workers"].append(
            {
                "name": worker["name"],
                "singleton": bool(worker.get("singleton", False)),
                "file": f"{unit_dir}/{base}@.service",
                "instances": [
                    f"{base}@{n}.service" for n in range(1, int(worker.get("instances", 1)) + 1)
                ],
            }
        )
    for timer in timers:
        base = f"{prefix}{timer['name']}"
        out["timers"].append(
            {
                "name": timer["name"],
                "singleton": bool(timer.get("singleton", True)),
                "timer_file": f"{unit_dir}/{base}.timer",
                "service_file": f"{unit_dir}/{base}.service",
                "timer": f"{base}.timer",
                "service": f"{base}.service",
            }
        )
    out["files_glob"] = f"{unit_dir}/{prefix}*"
    out["links_glob"] = f"{unit_dir}/*.wants/{prefix}*"
    return out


def processes_units(config: Mapping[str, Any]) -> dict[str, Any]:
    """What the role writes and reads for `config` (app, unit_dir, workers, timers): `files`
    (the unit files), `units` (every unit they make, on any host), `globs` (the role's files and
    the links that enable its units, the role's own and any left from an earlier inventory)."""
    names = _names(config)
    files = [w["file"] for w in names["workers"]]
    units = [u for w in names["workers"] for u in w["instances"]]
    for timer in names["timers"]:
        files += [timer["timer_file"], timer["service_file"]]
        units += [timer["timer"], timer["service"]]
    return {"files": files, "units": units, "globs": [names["files_glob"], names["links_glob"]]}


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _base_file(unit: str, unit_dir: str) -> str:
    """The file a unit is loaded from: a template's for an instance."""
    match = _INSTANCE.match(unit)
    return f"{unit_dir}/{match['base']}@.service" if match else f"{unit_dir}/{unit}"


def processes_plan(read: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """What to do, from `read` (a host_state result with the paths, files, globs and units of
    processes_units, timestamps as epoch) and `config`: app, unit_dir, workers, timers (their
    settings with defaults), host, singleton_host, current (the `current` link), env_file,
    marker (the line every unit file of this app's role carries), written (files this run wrote
    or, in check mode, would write), contents (the text of `candidates`, once read), check_mode,
    release_changed and env_changed (this run's facts: what check mode would have switched).

    Returns candidates (files of the role's pattern this inventory does not have: read them
    to know whether they are this app's), stale (those that carry its marker: to remove), here
    (the workers and timers that run on this host), disable (linked units to stop and disable),
    stop (units and patterns to stop), daemon_reload, enable, start, restart and steady (nothing
    to do)."""
    names = _names(config)
    unit_dir = config["unit_dir"].rstrip("/")
    host, singleton_host = config.get("host"), config.get("singleton_host")
    written = set(config.get("written") or [])
    units = read.get("units") or {}
    paths = read.get("paths") or {}
    files = read.get("files") or {}
    globs = read.get("globs") or {}

    def here(item: Mapping[str, Any]) -> bool:
        return not item["singleton"] or host == singleton_host

    def unit(name: str) -> Mapping[str, Any]:
        return units.get(name) or {}

    def active(name: str) -> bool:
        return unit(name).get("ActiveState") == "active"

    def mtime(path: str) -> float:
        return _float((paths.get(path) or {}).get("mtime"))

    wanted_files = set(processes_units(config)["files"])
    candidates = sorted(
        entry["path"]
        for entry in globs.get(names["files_glob"], [])
        if not entry.get("isdir")
        and entry["path"] not in wanted_files
        and entry["path"].endswith((".service", ".timer"))
    )
    contents = config.get("contents") or {}
    marker = config.get("marker") or ""
    stale = [
        path
        for path in candidates
        if marker and f"\n{marker}\n" in "\n" + (contents.get(path) or "") + "\n"
    ]
    links = sorted(
        {entry["path"].rsplit("/", 1)[1] for entry in globs.get(names["links_glob"], [])}
    )

    wanted_here: set[str] = set()
    for worker in names["workers"]:
        if here(worker):
            wanted_here.update(worker["instances"])
    for timer in names["timers"]:
        if here(timer):
            wanted_here.add(timer["timer"])

    # Retire: a link of this app's (its file is wanted or stale) to a unit that must not run
    # here (a surplus instance, a singleton of another host, anything stale), and running units
    # in the same case that are not linked; every unit of a stale file.
    ours = wanted_files | set(stale)
    disable = [
        name for name in links if _base_file(name, unit_dir) in ours and name not in wanted_here
    ]
    stop: list[str] = []
    for worker in names["workers"]:
        if not here(worker):
            stop += [u for u in worker["instances"] if active(u) and u not in disable]
    for timer in names["timers"]:
        if not here(timer) and active(timer["timer"]) and timer["timer"] not in disable:
            stop.append(timer["timer"])
    for path in stale:
        name = path.rsplit("/", 1)[1]
        stop.append(name.replace("@.service", "@*.service") if name.endswith("@.service") else name)

    # Run here: enable what has no link, start what is not running; restart a worker instance
    # that started before `current` was last pointed somewhere (lstat time of the link), before
    # the environment file or its unit file last changed, or whose unit file this run wrote; a
    # timer whose unit file changed since it was started (its schedule). Check mode has written
    # nothing and switched nothing: what it would have done counts.
    current_time = _float((files.get(config.get("current")) or {}).get("mtime"))
    env_time = mtime(config.get("env_file", ""))
    assumed = bool(config.get("check_mode")) and bool(
        config.get("release_changed") or config.get("env_changed")
    )
    enable = sorted(name for name in wanted_here if name not in links)
    start: list[str] = []
    restart: list[str] = []
    for worker in names["workers"]:
        if not here(worker):
            continue
        newest = max(current_time, env_time, mtime(worker["file"]))
        for name in worker["instances"]:
            if not active(name):
                start.append(name)
            elif (
                assumed
                or worker["file"] in written
                or _float(unit(name).get("ExecMainStartTimestamp")) < newest
            ):
                restart.append(name)
    for timer in names["timers"]:
        if not here(timer):
            continue
        if not active(timer["timer"]):
            start.append(timer["timer"])
        elif timer["timer_file"] in written or _float(
            unit(timer["timer"]).get("ActiveEnterTimestamp")
        ) < mtime(timer["timer_file"]):
            restart.append(timer["timer"])

    daemon_reload = (
        bool(written & wanted_files)
        or bool(stale)
        or any(unit(name).get("NeedDaemonReload") == "yes" for name in units)
    )
    plan = {
        "candidates": candidates,
        "stale": stale,
        "here": {
            "workers": [w["name"] for w in names["workers"] if here(w)],
            "timers": [t["name"] for t in names["timers"] if here(t)],
        },
        "disable": disable,
        "stop": stop,
        "daemon_reload": daemon_reload,
        "enable": enable,
        "start": start,
        "restart": restart,
    }
    plan["steady"] = not (disable or stop or stale or daemon_reload or enable or start or restart)
    return plan


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"processes_units": processes_units, "processes_plan": processes_plan}
