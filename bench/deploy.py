"""`make bench`'s deploy section: how the collection feels to an operator, as numbers.

Runs playbooks/site.yml against the bench container three times, the way operators run it:

    first     the first converge (a fresh container: nothing of the stack on it yet)
    no-change the same run again (nothing to do: changed=0 expected)
    redeploy  a code-only change: the sample app's wheel rebuilt with one changed file

and then, in a second container from the same image, the peer issue 12 measures against:
bench/peer/site.yml (geerlingguy.nginx with a hand-written Gunicorn unit, the same wheel), its
first converge and its no-change re-run, so that the no-change ratio is taken side by side.

Each step reports its wall-clock seconds; the module calls made on the host, counted by the
Docker daemon as the commands Ansible ran in the container (`docker exec`: one per module call
with pipelining, one per file transfer); and, from the play recap, the tasks that ran on the host
(ok + failed; `changed` is part of `ok`) and the changed ones. bench/run.py puts the result
(deploy.json) into the JSON/Markdown/PNG report, so a slower day 2 shows up as a number.

    python -m bench.deploy --out results/bench [--inventory bench/inventory.yml]
                           [--peer-container flaskstack-bench-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)"
    r"\s+failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)",
    re.MULTILINE,
)
# The steps, in the order they run (bench/run.py checks a smoke run has all of them).
STEP_NAMES = ("first", "no-change", "redeploy")
PEER_STEP_NAMES = ("first", "no-change")
# What the redeploy changes in the wheel: one line in the package, nothing else.
CHANGED_FILE = Path("src/flaskstack_sample/__init__.py")


class DeployError(RuntimeError):
    """A playbook run of the deploy section failed."""


@dataclass
class Step:
    name: str
    description: str
    wall_s: float
    host_calls: int
    tasks_run: int
    changed: int
    skipped: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def parse_recap(text: str) -> dict[str, int]:
    """Totals over the hosts of the last PLAY RECAP in an ansible-playbook output."""
    recap = text.rsplit("PLAY RECAP", 1)[-1] if "PLAY RECAP" in text else ""
    totals = {"ok": 0, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 0}
    hosts = 0
    for match in RECAP.finditer(recap):
        hosts += 1
        for key in totals:
            totals[key] += int(match[key])
    if not hosts:
        raise DeployError("no PLAY RECAP in the playbook's output")
    return totals


def build_wheel(src: Path, work: Path, marker: str | None) -> Path:
    """The sample app as a wheel, built from a copy (sample_app/ gets no build output); with a
    marker, the copy has one changed line: a code-only change."""
    copy, dist = work / "src", work / "dist"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    if marker:
        with (copy / CHANGED_FILE).open("a") as fh:
            fh.write(f"# {marker}\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            str(copy),
            "-w",
            str(dist),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = dist.glob("*.whl")
    return wheel


class HostCalls:
    """Counts the commands run in a container while it is open: the daemon's exec_start events,
    streamed from the moment it opened (`--since`, so none is lost while the stream starts)."""

    # Events reach the stream within milliseconds; this covers the last one before it stops.
    SETTLE_S = 1.0

    def __init__(self, container: str) -> None:
        self.container = container
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> HostCalls:
        self.proc = subprocess.Popen(
            [
                "docker",
                "events",
                "--since",
                f"{time.time():.3f}",
                "--filter",
                f"container={self.container}",
                "--filter",
                "event=exec_start",
                "--format",
                "{{.Action}}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()

    def count(self) -> int:
        """Stop the stream and return the number of commands it saw."""
        assert self.proc is not None
        time.sleep(self.SETTLE_S)
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=30)
        return count_exec_starts(out)


def count_exec_starts(events: str) -> int:
    """The exec_start events among `docker events --format '{{.Action}}'` lines."""
    return sum(1 for line in events.splitlines() if line.startswith("exec_start"))


def run_playbook(
    name: str,
    description: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    log: Path,
    container: str,
) -> Step:
    with HostCalls(container) as calls:
        t = time.monotonic()
        proc = subprocess.run(argv, env=dict(env), capture_output=True, text=True, check=False)
        wall = time.monotonic() - t
        host_calls = calls.count()
    log.write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise DeployError(f"{name}: ansible-playbook exited {proc.returncode} (log {log}):\n{tail}")
    recap = parse_recap(proc.stdout)
    return Step(
        name=name,
        description=description,
        wall_s=round(wall, 1),
        host_calls=host_calls,
        tasks_run=recap["ok"] + recap["failed"],
        changed=recap["changed"],
        skipped=recap["skipped"],
    )


def no_change_vs_peer(deploy: Mapping[str, object] | None) -> float | None:
    """site.yml's no-change wall time over the peer's (issue 12's goal: <= 0.5), or None."""
    if not deploy:
        return None

    def wall(steps: object) -> float | None:
        for step in steps if isinstance(steps, list) else []:
            if step.get("name") == "no-change" and step.get("wall_s"):
                return float(step["wall_s"])
        return None

    ours = wall(deploy.get("steps"))
    peer = deploy.get("peer")
    theirs = wall(peer.get("steps")) if isinstance(peer, Mapping) else None
    return round(ours / theirs, 2) if ours and theirs else None


def report_step(prefix: str, step: Step) -> None:
    print(
        f"bench: {prefix} {step.name:<9} {step.wall_s:6.1f} s  {step.host_calls:4d} host calls, "
        f"{step.tasks_run:4d} tasks run, {step.changed} changed",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("results/bench"))
    p.add_argument("--inventory", type=Path, default=ROOT / "bench" / "inventory.yml")
    p.add_argument("--work", type=Path, default=ROOT / ".cache" / "bench")
    p.add_argument(
        "--container",
        default=os.environ.get("BENCH_CONTAINER", "flaskstack-bench"),
        help="the container bench/inventory.yml targets (BENCH_CONTAINER)",
    )
    p.add_argument(
        "--reused", action="store_true", help="the container already ran the stack (--keep)"
    )
    p.add_argument(
        "--peer-container",
        default=os.environ.get("BENCH_PEER_CONTAINER", ""),
        help="a fresh container for bench/peer/site.yml (BENCH_PEER_CONTAINER); none: no peer",
    )
    p.add_argument("--peer-inventory", type=Path, default=ROOT / "bench" / "peer" / "inventory.yml")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    src = ROOT / "sample_app"
    wheels = {
        "base": build_wheel(src, args.work / "base", None),
        "changed": build_wheel(src, args.work / "changed", f"redeploy {time.time()}"),
    }
    playbook = [
        "ansible-playbook",
        "-i",
        str(args.inventory),
        str(ROOT / "playbooks" / "site.yml"),
    ]
    steps = zip(
        STEP_NAMES,
        (
            "converge of a reused container" if args.reused else "first converge",
            "the same run again",
            "code-only change (one line of one file)",
        ),
        ("base", "base", "changed"),
        strict=True,
    )
    results: list[Step] = []
    for name, description, wheel in steps:
        env = {**os.environ, "BENCH_APP_PACKAGE": str(wheels[wheel])}
        step = run_playbook(
            name, description, playbook, env, args.out / f"deploy-{name}.log", args.container
        )
        results.append(step)
        report_step("deploy", step)
    if results[1].changed:
        print(f"bench: WARNING the no-change run changed {results[1].changed} task(s)", flush=True)
    data: dict[str, object] = {
        "playbook": "playbooks/site.yml",
        "fresh": not args.reused,
        "steps": [s.as_dict() for s in results],
    }
    if args.peer_container:
        data["peer"] = run_peer(args, wheels["base"])
        print(f"bench: no-change vs the peer's: {no_change_vs_peer(data)}x (goal <= 0.5x)")
    (args.out / "deploy.json").write_text(json.dumps(data, indent=2) + "\n")
    return 0


def run_peer(args: argparse.Namespace, wheel: Path) -> dict[str, object]:
    """bench/peer/site.yml twice in its own container: the first converge, then the same run."""
    env = {
        **os.environ,
        "BENCH_APP_PACKAGE": str(wheel),
        "BENCH_PEER_CONTAINER": args.peer_container,
    }
    playbook = [
        "ansible-playbook",
        "-i",
        str(args.peer_inventory),
        str(ROOT / "bench" / "peer" / "site.yml"),
    ]
    steps = []
    for name, description in zip(
        PEER_STEP_NAMES, ("first converge", "the same run again"), strict=True
    ):
        log = args.out / f"deploy-peer-{name}.log"
        step = run_playbook(name, description, playbook, env, log, args.peer_container)
        steps.append(step)
        report_step("peer  ", step)
    return {
        "playbook": "bench/peer/site.yml",
        "what": "geerlingguy.nginx 3.2.0 and a hand-written Gunicorn unit, same image and wheel",
        "steps": [s.as_dict() for s in steps],
    }


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (DeployError, subprocess.CalledProcessError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(1)
