"""kill -9 the Gunicorn master of a unit, then time until a *new* master serves /healthz 200.

Orphaned workers of the killed master may still answer for a moment, so recovery needs a 200
through the socket while systemd reports a new MainPID in state active. Repeats the measurement
(argv[4] times, default 3) and prints JSON: every try and the median.

argv[5] (default 1) makes each try a crash loop: the master is killed that many times in a row,
each new master as soon as systemd started it, and the time runs from the last kill.
"""

import json
import socket
import statistics
import subprocess
import sys
import time

unit, sock_path, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
tries = int(sys.argv[4]) if len(sys.argv) > 4 else 3
burst = int(sys.argv[5]) if len(sys.argv) > 5 else 1


def show(prop: str) -> str:
    out = subprocess.run(
        ["systemctl", "show", "-p", prop, "--value", unit],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def healthz() -> int:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        s.connect(sock_path)
        s.sendall(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        head = s.recv(64).decode(errors="replace")
    return int(head.split()[1])


def next_master(old: int) -> int:
    """The MainPID systemd started after `old` (0 when none came within the bound)."""
    start = time.monotonic()
    while time.monotonic() - start < limit * 4:
        new = int(show("MainPID") or 0)
        if new not in (0, old):
            return new
        time.sleep(0.05)
    return 0


def once() -> dict:
    old = int(show("MainPID") or 0)
    killed = 0
    for _ in range(burst - 1):
        subprocess.run(["kill", "-9", str(old)], check=True)
        killed += 1
        old = next_master(old)
        if not old:
            break
    if old:
        subprocess.run(["kill", "-9", str(old)], check=True)
        killed += 1
    start = time.monotonic()
    new, status = 0, 0
    while time.monotonic() - start < limit * 4:
        try:
            new = int(show("MainPID") or 0)
            fresh = new not in (0, old) and show("ActiveState") == "active"
            status = healthz() if fresh else 0
        except (OSError, ValueError, IndexError, subprocess.CalledProcessError):
            status = 0
        if status == 200:
            break
        time.sleep(0.1)
    return {
        "kills": killed,
        "old_pid": old,
        "new_pid": new,
        "status": status,
        "seconds": round(time.monotonic() - start, 2),
    }


results = []
for i in range(tries):
    if i:
        time.sleep(2)
    results.append(once())
print(
    json.dumps(
        {
            "tries": results,
            "recovered": all(
                r["status"] == 200 and r["new_pid"] != r["old_pid"] and r["kills"] == burst
                for r in results
            ),
            "median_seconds": statistics.median(r["seconds"] for r in results),
        }
    )
)
