#!/usr/bin/env python3
"""Keep the app's worker busy from the moment a deploy switches the live release until systemd
stops the worker for the restart, then follow the tasks to their end; write what was seen as JSON:

    enqueue_on_switch.py CURRENT_LINK SITE_URL SECONDS UNIT_PATTERN OUT.json [--max-seconds 420]

When `current` points elsewhere, two tasks of SECONDS each are queued through the site, and one
more each time one completes: one task runs and one waits behind it, so whenever the restart
comes (after Gunicorn's reload and health check, a time this cannot know) the worker has a task
in hand. A worker unit seen `deactivating` (or replaced between two looks) marks the stop. Each
task is then followed until it is complete or the time is up; for each, `finished_after_stop`
tells whether it completed after the stop began (the site's times carry their UTC offset, this
host's clock for both). A task completed after the stop by the code of the old release is one
the old worker finished while systemd waited for it.

Bounded (--max-seconds overall); only talks to the site's URL on this host (loopback).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

CONTEXT = ssl._create_unverified_context()


def call(url: str, data: dict[str, str] | None = None) -> dict:
    """GET (or POST a form) and decode the JSON answer, trying 3 times (a reload may drop one)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    for attempt in range(3):
        try:
            with urllib.request.urlopen(url, data=body, timeout=30, context=CONTEXT) as answer:
                return json.load(answer)
        except (OSError, urllib.error.URLError):
            if attempt == 2:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


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
    ids: list[str] = []

    def enqueue() -> None:
        ids.append(call(args.url + "/tasks", {"seconds": args.seconds})["id"])

    def task(task_id: str) -> dict:
        return call(args.url + "/tasks/" + task_id)

    try:
        while os.readlink(args.current) == result["before"]:
            if time.monotonic() > deadline:
                raise TimeoutError("current did not switch")
            time.sleep(0.2)
        result["switched_to"] = os.readlink(args.current)
        result["switched_at"] = time.time()
        result["units_at_switch"] = first = units(args.units)
        if not first:
            raise LookupError("no unit matches " + args.units)
        enqueue()
        enqueue()
        # A worker that is stopping (its task still running), or one that was replaced between
        # two looks.
        while True:
            seen = units(args.units)
            if any(state.startswith("deactivating") for state in seen.values()):
                break
            if any(seen.get(unit) != state for unit, state in first.items()):
                break
            if time.monotonic() > deadline:
                raise TimeoutError("no worker unit was stopped")
            if task(ids[-2])["complete"]:
                enqueue()
            time.sleep(0.5)
        result["stopping_at"] = time.time()
        result["units_stopping"] = seen
        while not all(task(task_id)["complete"] for task_id in ids):
            if time.monotonic() > deadline:
                break
            time.sleep(1)
    except Exception as error:
        result["error"] = repr(error)
    tasks = []
    for task_id in ids:
        try:
            tasks.append(task(task_id))
        except Exception as error:
            tasks.append({"id": task_id, "error": repr(error)})
    for each in tasks:
        finished = each.get("finished")
        each["finished_after_stop"] = bool(
            finished
            and "stopping_at" in result
            and datetime.datetime.fromisoformat(finished).timestamp() > result["stopping_at"]
        )
    result["tasks"] = tasks
    with open(args.out, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
