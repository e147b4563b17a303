"""In-container side of `make bench`: small, bounded measurements that wrk does not do.

Copied into the bench container and run there with `docker exec` (standard library only; the
`ceiling` command imports the deployed app, so it runs with the app's virtualenv Python). Every
command prints one JSON object on its last line of stdout. Every loop is bounded in time and
count; all traffic goes to the loopback interface.

    agent.py cpu UNIT...                      CPU seconds used so far by each unit's processes
    agent.py probe URL [--host H]             status and body length of one GET
    agent.py wait URL [--host H] [--timeout]  poll until URL answers 200
    agent.py slow --port P [--tls] ...        hold slow (slowloris-style) clients open
    agent.py handshakes --port 443 ...        TLS handshakes per second, full or resumed
    agent.py ceiling --seconds S --procs N    the WSGI app called in-process, no network
    agent.py load --units U... -- CMD...      run CMD (wrk, handshakes) and the units' CPU time;
                                              --also: more commands at the same time (mixed
                                              load); --mem-unit: the unit's memory idle and busy
    agent.py memory UNIT                      PSS/RSS and threads of a unit's master and workers
    agent.py serve                            read one JSON argv list per line from stdin, answer
                                              one JSON line each (saves a `docker exec` per call)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import io
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

MAX_SECONDS = 30.0  # no command runs longer than this
MAX_SLOW_CLIENTS = 1000
CLK_TCK = os.sysconf("SC_CLK_TCK")


def emit(data: dict[str, Any]) -> None:
    print(json.dumps(data, sort_keys=True), flush=True)


# --- cpu ------------------------------------------------------------------------------------


_SHOW_CACHE: dict[str, tuple[str, bool]] = {}


def unit_cgroup(unit: str) -> tuple[str, bool]:
    """(control group path, whether systemd accounts CPU for it); cached per running unit."""
    cached = _SHOW_CACHE.get(unit)
    if cached is None:
        out = subprocess.run(
            ["systemctl", "show", "-p", "ControlGroup", "-p", "CPUUsageNSec", unit],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        props = dict(line.partition("=")[::2] for line in out.splitlines())
        cached = (props.get("ControlGroup", ""), props.get("CPUUsageNSec", "").isdigit())
        if cached[0]:
            _SHOW_CACHE[unit] = cached
    return cached


def unit_pids(unit: str) -> list[int]:
    """PIDs in a unit's cgroup (name=systemd hierarchy on cgroup v1, the unified one on v2)."""
    cgroup, _ = unit_cgroup(unit)
    if not cgroup:
        return []
    for root in ("/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        procs = Path(root + cgroup) / "cgroup.procs"
        if procs.is_file():
            try:
                return [int(p) for p in procs.read_text().split()]
            except OSError:
                return []
    return []


def pid_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) and of its reaped children."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime, stime, cutime, cstime are fields 14-17.
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / CLK_TCK


def unit_cpu_seconds(unit: str) -> float:
    """CPU time of a unit: cgroup accounting when systemd has it, else its processes' times."""
    _, accounted = unit_cgroup(unit)
    if accounted:
        usage = subprocess.run(
            ["systemctl", "show", "-p", "CPUUsageNSec", "--value", unit],
            check=False,
            capture_output=True,
            text=True,
        ).stdout.strip()
        if usage.isdigit():
            return int(usage) / 1e9
    return sum(pid_cpu_seconds(pid) for pid in unit_pids(unit))


def units_cpu_seconds(units: list[str]) -> dict[str, float]:
    return {unit: unit_cpu_seconds(unit) for unit in units}


def cmd_cpu(args: argparse.Namespace) -> None:
    emit({unit: unit_cpu_seconds(unit) for unit in args.units})


# --- probe / wait -----------------------------------------------------------------------------


def get(
    url: str, host: str | None, timeout: float, headers: dict[str, str] | None = None
) -> tuple[int, bytes, str]:
    """Status, body and Content-Encoding of one GET."""
    scheme, rest = url.split("://", 1)
    netloc, _, path = rest.partition("/")
    conn: http.client.HTTPConnection
    if scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection(netloc, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(netloc, timeout=timeout)
    try:
        sent = dict(headers or {})
        if host:
            sent["Host"] = host
        conn.request("GET", "/" + path, headers=sent)
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.getheader("Content-Encoding") or ""
    finally:
        conn.close()


def cmd_probe(args: argparse.Namespace) -> None:
    headers = dict(h.split(":", 1) for h in args.header or [])
    status, body, encoding = get(
        args.url, args.host, 5.0, {k: v.strip() for k, v in headers.items()}
    )
    emit({"url": args.url, "status": status, "bytes": len(body), "encoding": encoding})


def cmd_wait(args: argparse.Namespace) -> None:
    deadline = time.monotonic() + min(args.timeout, MAX_SECONDS)
    last = ""
    while time.monotonic() < deadline:
        try:
            status, _, _ = get(args.url, args.host, 2.0)
            if status == 200:
                emit({"url": args.url, "ready": True})
                return
            last = f"status {status}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    emit({"url": args.url, "ready": False, "error": last})
    sys.exit(1)


# --- slow clients -----------------------------------------------------------------------------


async def slow_client(
    args: argparse.Namespace, ctx: ssl.SSLContext | None, deadline: float, state: dict[str, int]
) -> None:
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                "127.0.0.1",
                args.port,
                ssl=ctx,
                server_hostname=args.host if ctx else None,
            ),
            timeout=5,
        )
    except (OSError, TimeoutError, ssl.SSLError):
        state["failed"] += 1
        return
    state["opened"] += 1
    try:
        # A request line and Host header, never the blank line that ends the headers.
        writer.write(f"GET / HTTP/1.1\r\nHost: {args.host}\r\n".encode())
        await writer.drain()
        n = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(min(args.interval, max(0.0, deadline - time.monotonic())))
            if reader.at_eof():
                break
            n += 1
            writer.write(f"X-Slow-{n}: 1\r\n".encode())
            await writer.drain()
        if not reader.at_eof():
            state["held"] += 1
    except (OSError, ssl.SSLError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            await asyncio.wait_for(writer.wait_closed(), timeout=1)


async def run_slow(args: argparse.Namespace) -> dict[str, Any]:
    ctx: ssl.SSLContext | None = None
    if args.tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    count = min(args.conns, MAX_SLOW_CLIENTS)
    hold = min(args.hold, MAX_SECONDS)
    state = {"opened": 0, "failed": 0, "held": 0}
    deadline = time.monotonic() + hold
    tasks = [asyncio.create_task(slow_client(args, ctx, deadline, state)) for _ in range(count)]
    # Tell the driver when the connections are open, so its load starts against a busy server.
    ready_by = time.monotonic() + 3
    while state["opened"] + state["failed"] < count and time.monotonic() < ready_by:
        await asyncio.sleep(0.05)
    print("READY", flush=True)
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=hold + 10)
    return {"clients": count, "hold_s": hold, **state}


def cmd_slow(args: argparse.Namespace) -> None:
    emit(asyncio.run(run_slow(args)))


# --- TLS handshakes ---------------------------------------------------------------------------


def cmd_handshakes(args: argparse.Namespace) -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    version = ssl.TLSVersion.TLSv1_2 if args.tls == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ctx.maximum_version = version
    session: ssl.SSLSession | None = None
    done = reused = errors = 0
    seconds = min(args.seconds, MAX_SECONDS)
    start = time.monotonic()
    deadline = start + seconds
    while time.monotonic() < deadline and done < 1_000_000:
        try:
            with (
                socket.create_connection(("127.0.0.1", args.port), timeout=5) as raw,
                ctx.wrap_socket(
                    raw,
                    server_hostname=args.host,
                    session=session if args.mode == "resumed" else None,
                ) as tls,
            ):
                if args.tls == "1.3":
                    # TLS 1.3 tickets arrive after the handshake: read a response to get one.
                    tls.sendall(f"HEAD /healthz HTTP/1.1\r\nHost: {args.host}\r\n\r\n".encode())
                    tls.recv(4096)
                done += 1
                reused += int(tls.session_reused)
                if args.mode == "resumed" and (session is None or not tls.session_reused):
                    session = tls.session
        except (OSError, ssl.SSLError):
            errors += 1
            if errors > 100:
                break
    elapsed = time.monotonic() - start
    emit(
        {
            "mode": args.mode,
            "tls": args.tls,
            "handshakes": done,
            "reused": reused,
            "errors": errors,
            "seconds": elapsed,
            "per_second": done / elapsed if elapsed else 0.0,
        }
    )


# --- in-process ceiling -----------------------------------------------------------------------


def load_env_file(path: str) -> None:
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            os.environ[key.strip()] = value.strip().strip("'\"")


def ceiling_worker(path: str, host: str, seconds: float, out: Any) -> None:
    from flaskstack_sample.wsgi import app  # type: ignore[import-not-found]
    from werkzeug.test import create_environ  # the app's own dependency

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if not status.startswith("200"):
            raise RuntimeError(f"in-process call answered {status}")
        return lambda data: None

    def call() -> None:
        body = app(create_environ(path, f"http://{host}/"), start_response)
        try:
            for _ in body:
                pass
        finally:
            if hasattr(body, "close"):
                body.close()

    for _ in range(50):  # warm up (templates compiled, caches filled)
        call()
    requests = 0
    cpu0 = time.process_time()
    start = time.monotonic()
    deadline = start + seconds
    while time.monotonic() < deadline and requests < 10_000_000:
        call()
        requests += 1
    out.put((requests, time.monotonic() - start, time.process_time() - cpu0))


def cmd_ceiling(args: argparse.Namespace) -> None:
    import multiprocessing as mp

    if args.env_file:
        load_env_file(args.env_file)
    procs = max(1, args.procs or os.cpu_count() or 1)
    seconds = min(args.seconds, MAX_SECONDS)
    queue: Any = mp.Queue()
    workers = [
        mp.Process(target=ceiling_worker, args=(args.path, args.host, seconds, queue))
        for _ in range(procs)
    ]
    for w in workers:
        w.start()
    results = [queue.get(timeout=seconds + 60) for _ in workers]
    for w in workers:
        w.join(timeout=10)
    requests = sum(r[0] for r in results)
    cpu = sum(r[2] for r in results)
    rps = sum(r[0] / r[1] for r in results)
    emit(
        {
            "procs": procs,
            "requests": requests,
            "requests_per_s": rps,
            "cpu_us_per_request": cpu / requests * 1e6 if requests else None,
        }
    )


# --- memory: what a unit's processes hold ----------------------------------------------------


def kb_field(text: str, name: str) -> int:
    """The value of a `Name:   123 kB` line of /proc/PID/status or smaps_rollup (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def process_memory(pid: int) -> dict[str, int] | None:
    """PSS and RSS (kB, smaps_rollup), VmRSS, threads and parent of a process; None if gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return {
        "pid": pid,
        "ppid": kb_field(status, "PPid"),
        "pss_kb": kb_field(rollup, "Pss"),
        "rss_kb": kb_field(rollup, "Rss"),
        "vmrss_kb": kb_field(status, "VmRSS"),
        "threads": kb_field(status, "Threads"),
    }


def unit_memory(unit: str) -> dict[str, Any]:
    """The unit's main process (Gunicorn's master) and its children (the workers)."""
    main_pid = subprocess.run(
        ["systemctl", "show", "-p", "MainPID", "--value", unit],
        check=False,
        capture_output=True,
        text=True,
    ).stdout.strip()
    master = int(main_pid) if main_pid.isdigit() else 0
    procs = [m for m in (process_memory(pid) for pid in unit_pids(unit)) if m is not None]
    return {
        "master": next((m for m in procs if m["pid"] == master), None),
        "workers": [m for m in procs if master and m["ppid"] == master],
    }


def cmd_memory(args: argparse.Namespace) -> None:
    emit(unit_memory(args.unit))


# --- load: commands bracketed by CPU samples --------------------------------------------------


def run_commands(commands: list[list[str]], timeout: float) -> list[tuple[str, int]]:
    """Run the commands at the same time; (output, returncode) of each, in order."""
    procs = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for c in commands
    ]
    deadline = time.monotonic() + timeout
    results = []
    for proc in procs:
        try:
            out, _ = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
            results.append((out, proc.returncode))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            results.append((f"timed out after {timeout}s", -1))
    return results


def cmd_load(args: argparse.Namespace) -> None:
    command = [c for c in args.command if c != "--"]
    commands = [command] if command else []
    commands += [[str(a) for a in c] for c in json.loads(args.also or "[]")]
    if not commands:
        sys.exit("load: no command given")
    memory: dict[str, Any] = {}
    sampler = None
    if args.mem_unit:
        # Idle: before the load; busy: while it runs (every thread then holds a request).
        memory["idle"] = unit_memory(args.mem_unit)

        def sample() -> None:
            time.sleep(args.mem_at)
            memory["busy"] = unit_memory(args.mem_unit)

        sampler = threading.Thread(target=sample, daemon=True)
    before = units_cpu_seconds(args.units)
    start = time.monotonic()
    if sampler is not None:
        sampler.start()
    results = run_commands(commands, args.timeout)
    elapsed = time.monotonic() - start
    after = units_cpu_seconds(args.units)
    if sampler is not None:
        sampler.join(timeout=5)
    emit(
        {
            "rc": results[0][1],
            "output": results[0][0],
            "outputs": [out for out, _ in results],
            "rcs": [rc for _, rc in results],
            "seconds": elapsed,
            "cpu_s": {unit: after[unit] - before[unit] for unit in args.units},
            **({"memory": memory} if args.mem_unit else {}),
        }
    )


# --- serve: many commands over one `docker exec` ---------------------------------------------


def cmd_serve(args: argparse.Namespace) -> None:
    """Answer {"ok", "stdout", "error"} per request line until stdin closes (at most 1 hour)."""
    deadline = time.monotonic() + 3600
    for line in sys.stdin:
        if time.monotonic() > deadline:
            break
        buffer = io.StringIO()
        ok, error = True, ""
        try:
            argv = json.loads(line)
            if not isinstance(argv, list) or not argv or argv[0] == "serve":
                raise ValueError(f"bad request {line!r}")
            with contextlib.redirect_stdout(buffer):
                main([str(a) for a in argv])
        except SystemExit as exc:
            ok, error = exc.code in (0, None), f"exit {exc.code}"
        except Exception as exc:  # report it and keep serving
            ok, error = False, f"{type(exc).__name__}: {exc}"
        sys.stdout.write(json.dumps({"ok": ok, "stdout": buffer.getvalue(), "error": error}))
        sys.stdout.write("\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("cpu")
    p.add_argument("units", nargs="+")
    p.set_defaults(func=cmd_cpu)

    for name, func in (("probe", cmd_probe), ("wait", cmd_wait)):
        p = sub.add_parser(name)
        p.add_argument("url")
        p.add_argument("--host")
        p.add_argument("--timeout", type=float, default=20)
        p.add_argument("--header", action="append", help="'Name: value', sent with the GET")
        p.set_defaults(func=func)

    p = sub.add_parser("slow")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="localhost")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--conns", type=int, default=200)
    p.add_argument("--hold", type=float, default=5)
    p.add_argument("--interval", type=float, default=2)
    p.set_defaults(func=cmd_slow)

    p = sub.add_parser("handshakes")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--host", required=True)
    p.add_argument("--mode", choices=["full", "resumed"], required=True)
    p.add_argument("--tls", choices=["1.2", "1.3"], default="1.2")
    p.add_argument("--seconds", type=float, default=3)
    p.set_defaults(func=cmd_handshakes)

    p = sub.add_parser("ceiling")
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--procs", type=int, default=0)
    p.add_argument("--path", default="/")
    p.add_argument("--host", default="localhost")
    p.add_argument("--env-file")
    p.set_defaults(func=cmd_ceiling)

    p = sub.add_parser("load")
    p.add_argument("--units", nargs="*", default=[])
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--also", help="JSON list of more commands, run at the same time")
    p.add_argument("--mem-unit", help="sample this unit's memory before and during the load")
    p.add_argument("--mem-at", type=float, default=1.0, help="seconds into the load to sample")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("memory")
    p.add_argument("unit")
    p.set_defaults(func=cmd_memory)

    p = sub.add_parser("serve")
    p.set_defaults(func=cmd_serve)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
