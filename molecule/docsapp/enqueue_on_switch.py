#!/usr/bin/env python3
"""Queue a task through the site at the moment a deploy switches the live release, then watch
the worker units until systemd stops them for the restart, and write what was seen as JSON:

    enqueue_on_switch.py CURRENT_LINK SITE_URL SECONDS UNIT_PATTERN OUT.json [--max-seconds 420]

The task sleeps SECONDS: long enough to be running when the deploy restarts the worker right
after Gunicorn (the worker must let it finish), short enough for the unit's stop timeout. At
the first sight of a worker unit `deactivating` the task's state is read again through the
site: it must not be complete yet, or the job did not run across the restart.

Bounded (--max-seconds); only talks to the site's URL on this host (loopback).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import subprocess
import time
import urllib.parse
import urllib.request

CONTEXT = ssl._create_unverified_context()


def call(url: str, data: dict[str, str] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=30, context=CONTEXT) as answer:
        return json.load(answer)


def units(pattern: str) -> dict[str, str]:
    """Each unit matching the pattern: 'ActiveState MainPID'."""
    shown = subprocess.run(
        ["systemctl", "show", "--property", "Id,ActiveState,MainPID", pattern],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    found = {}
    for block in shown.strip().split("\n\n"):
        values = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if "Id" in values:
            found[values["Id"]] = values.get("ActiveState", "") + " " + values.get("MainPID", "")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("current")
    parser.add_argument("url")
    parser.add_argument("seconds")
    parser.add_argument("units")
    parser.add_argument("out")
    parser.add_argument("--max-seconds", type=float, default=420.0)
    args = parser.parse_args()

    deadline = time.monotonic() + args.max_seconds
    result: dict = {"before": os.readlink(args.current)}
    try:
        while os.readlink(args.current) == result["before"]:
            if time.monotonic() > deadline:
                raise TimeoutError("current did not switch")
            time.sleep(0.2)
        result["switched_to"] = os.readlink(args.current)
        result["switched_at"] = time.time()
        result["task"] = call(args.url + "/tasks", {"seconds": args.seconds})
        result["enqueued_at"] = time.time()
        result["units_at_switch"] = first = units(args.units)
        if not first:
            raise LookupError("no unit matches " + args.units)
        # A worker that is stopping (its job still running), or one that was replaced between
        # two looks (it had nothing to finish).
        while True:
            seen = units(args.units)
            if any(state.startswith("deactivating") for state in seen.values()):
                break
            if any(seen.get(unit) != state for unit, state in first.items()):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("no worker unit was stopped")
            time.sleep(0.2)
        result["stopping_at"] = time.time()
        result["units_stopping"] = seen
        result["task_at_stop"] = call(args.url + "/tasks/" + result["task"]["id"])
    except Exception as error:
        result["error"] = repr(error)
    with open(args.out, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
