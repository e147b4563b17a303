"""`make bench`: the sample app served five ways, side by side, in one container.

Drives everything through `docker exec` in a container where playbooks/site.yml deployed the
stack (scripts/bench.sh creates it). Next to the deployed Nginx → Gunicorn stack it starts, as
transient systemd units in the same container, Flask's development server and a second Gunicorn
with the deployed worker settings bound to TCP; the in-process ceiling calls the WSGI app with no
network at all. Load comes from wrk (Debian's package) and from bench/agent.py, copied into the
container. All traffic stays on the container's loopback interface.

This module holds the cases, the measurement loop and the command line; bench/container.py the
container and the agent protocol, bench/servers.py the deployment and the side servers.

    python -m bench.run --container flaskstack-bench [--smoke] [--only REGEX] ...
"""

from __future__ import annotations

import argparse
import json
import math
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import goals, lcp, report
from bench.container import AGENT, BenchError, Container, last_json, prepare_container
from bench.deploy import STEP_NAMES
from bench.servers import (
    ENV_FILE,
    NGINX_UNIT,
    STACK_SERVERS,
    Deployment,
    Server,
    check_servers,
    cpu_by_part,
    discover,
    server_table,
    start_side_servers,
    stop_side_servers,
    versions,
)
from bench.wrk import WrkParseError, parse_wrk

# The CPU page's concurrencies. c=1 was dropped for issue 33's cases (bench/README.md).
CONCURRENCIES = (16, 64, 256)

# Each case's runs, by case id.
Runs = dict[str, list[dict[str, Any]]]


# --- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    kind: str  # dynamic | io | mixed | static | assets | slow | tls | ceiling
    server: str
    concurrency: int = 0
    mode: str = ""  # tls: full | resumed

    @property
    def id(self) -> str:
        if self.kind == "ceiling":
            return "ceiling/inprocess"
        if self.kind == "tls":
            return f"tls/{self.mode}"
        return f"{self.kind}/{self.server}/c{self.concurrency}"


def all_cases() -> list[Case]:
    """Every case of a full run. To fit issue 33's cases into `make bench`'s 10 minutes, the
    stack over plain HTTP runs the CPU page at c=64 only (beside its HTTPS twin everywhere else),
    and Gunicorn direct has no static-file case and the stack over HTTP no slow-client case (each
    repeated the HTTPS one's figure)."""
    servers = ("dev", "gunicorn", "stack-http", "stack-https")
    cases = [
        Case("dynamic", s, c)
        for c in CONCURRENCIES
        for s in servers
        if s != "stack-http" or c == goals.GOAL_C
    ]
    io_servers = ("dev", "gunicorn", "stack-https")
    cases += [Case("io", s, c) for c in goals.IO_CONCURRENCIES for s in io_servers]
    cases += [Case("mixed", s, goals.MIXED_TOTAL) for s in io_servers]
    cases += [Case("static", s, 16) for s in ("dev", "stack-http", "stack-https")]
    cases += [Case("assets", s, 16) for s in goals.ASSET_SERVERS]
    cases += [Case("slow", s, 16) for s in ("dev", "gunicorn", "stack-https")]
    cases += [Case("tls", "stack-https", mode="full"), Case("tls", "stack-https", mode="resumed")]
    cases.append(Case("ceiling", "inprocess"))
    return cases


# --- running cases ---------------------------------------------------------------------------


@dataclass
class Settings:
    duration: float
    repeats: int
    slow_clients: int
    handshake_seconds: float
    settle: float = 0.3


def wrk_argv(
    server: Server,
    path: str,
    concurrency: int,
    duration: float,
    headers: Sequence[str] = (),
    script: str = "",
) -> list[str]:
    return [
        "wrk",
        "--latency",
        f"-t{min(2, concurrency)}",
        f"-c{concurrency}",
        f"-d{int(duration)}s",
        "--timeout",
        "2s",
        "-H",
        f"Host: {server.host}",
        *(arg for header in headers for arg in ("-H", header)),
        *(["-s", script] if script else []),
        server.base_url + path,
    ]


def run_load(
    box: Container,
    units: Sequence[str],
    argv: Sequence[str],
    timeout: float,
    *extra: str,
) -> Any:
    return box.agent(
        "load",
        "--timeout",
        str(timeout),
        "--units",
        *units,
        *extra,
        "--",
        *argv,
        timeout=timeout + 30,
    )


def parse_output(server: Server, path: str, output: str) -> Any:
    try:
        return parse_wrk(output)
    except WrkParseError as exc:
        raise BenchError(f"wrk against {server.base_url}{path}: {exc}\n{output}") from exc


def cpu_row(wrk_row: dict[str, Any], cpu_s: dict[str, float], requests: int) -> dict[str, Any]:
    cpu = sum(cpu_s.values())
    row = dict(wrk_row)
    row["cpu_s"] = cpu
    row["cpu_us_per_req"] = cpu / requests * 1e6 if requests else None
    row.update(cpu_by_part(cpu_s, requests))
    return row


def run_wrk_case(
    box: Container,
    server: Server,
    path: str,
    concurrency: int,
    cfg: Settings,
    *,
    headers: Sequence[str] = (),
    script: str = "",
    mem_unit: str = "",
) -> dict[str, Any]:
    extra = ["--mem-unit", mem_unit, "--mem-at", f"{cfg.duration / 2:g}"] if mem_unit else []
    argv = wrk_argv(server, path, concurrency, cfg.duration, headers, script)
    result = run_load(box, server.units, argv, cfg.duration + 30, *extra)
    wrk = parse_output(server, path, result["output"])
    row = cpu_row(wrk.as_dict(), result["cpu_s"], wrk.requests)
    if "memory" in result:
        row["memory"] = result["memory"]
    return row


def run_io_case(
    box: Container, server: Server, concurrency: int, dep: Deployment, cfg: Settings
) -> dict[str, Any]:
    """The I/O page; at c=64 on the stack, the deployed Gunicorn's memory idle and busy too."""
    measure = server.name == "stack-https" and concurrency == goals.GOAL_C
    row = run_wrk_case(
        box, server, goals.IO_PATH, concurrency, cfg, mem_unit=dep.unit if measure else ""
    )
    if "memory" in row:
        threads = dep.config.get("threads", "")
        row.update(goals.memory_figures(row["memory"], int(threads) if threads.isdigit() else None))
    return row


def run_mixed_case(box: Container, server: Server, cfg: Settings) -> dict[str, Any]:
    """The CPU page and the I/O page at once, two wrk processes; each kind's figures apart."""
    cpu_c, io_c = goals.MIXED_CONNECTIONS
    cpu_argv = wrk_argv(server, goals.CPU_PATH, cpu_c, cfg.duration)
    io_argv = wrk_argv(server, goals.IO_PATH, io_c, cfg.duration)
    result = run_load(
        box, server.units, cpu_argv, cfg.duration + 30, "--also", json.dumps([io_argv])
    )
    cpu_wrk, io_wrk = (
        parse_output(server, path, out)
        for path, out in zip((goals.CPU_PATH, goals.IO_PATH), result["outputs"], strict=True)
    )
    requests = cpu_wrk.requests + io_wrk.requests
    row = cpu_row(
        {
            "requests": requests,
            "rps": cpu_wrk.rps + io_wrk.rps,
            "errors": cpu_wrk.errors + io_wrk.errors,
        },
        result["cpu_s"],
        requests,
    )
    for kind, wrk in (("cpu", cpu_wrk), ("io", io_wrk)):
        row.update({f"{kind}_rps": wrk.rps, f"{kind}_p99_ms": wrk.p99_ms, kind: wrk.as_dict()})
    return row


# wrk requests the bundle's files in turn (its -H headers go into every request).
BUNDLE_SCRIPT = "/usr/local/lib/flaskstack-bench/bundle.lua"


def bundle_script() -> str:
    paths = ", ".join(f'"{p}"' for p in goals.BUNDLE_PATHS)
    return (
        f"local paths = {{{paths}}}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i % #paths + 1\n"
        '  return wrk.format("GET", paths[i])\n'
        "end\n"
    )


def run_assets_case(box: Container, server: Server, cfg: Settings) -> dict[str, Any]:
    """The static bundle with a browser's Accept-Encoding: each file's encoding checked first."""
    accept = f"Accept-Encoding: {goals.ACCEPT_ENCODING}"
    encodings = []
    for path in goals.BUNDLE_PATHS:
        probe = box.agent(
            "probe", server.base_url + path, "--host", server.host, "--header", accept
        )
        if probe["status"] != 200:
            raise BenchError(f"{server.name}: GET {path} answered {probe['status']}, not 200")
        encodings.append(probe.get("encoding") or "identity")
    box.run(["sh", "-c", f"cat > {BUNDLE_SCRIPT}"], stdin=bundle_script())
    row = run_wrk_case(
        box, server, goals.BUNDLE_PATHS[0], 16, cfg, headers=[accept], script=BUNDLE_SCRIPT
    )
    row["encoding"] = "/".join(sorted(set(encodings)))
    return row


def run_slow_case(box: Container, server: Server, cfg: Settings) -> dict[str, Any]:
    hold = cfg.duration + 3
    args = ["slow", "--port", str(server.port), "--host", server.host]
    args += ["--conns", str(cfg.slow_clients), "--hold", f"{hold:g}", "--interval", "2"]
    proc = box.popen_agent(*args, *(["--tls"] if server.tls else []))
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if lines.get(timeout=0.5).strip() == "READY":
                break
        except queue.Empty:
            if proc.poll() is not None:
                break
    else:
        proc.kill()
        raise BenchError(f"slow clients against {server.name} never got ready")
    try:
        row = run_wrk_case(box, server, "/", 16, cfg)
    finally:
        try:
            proc.wait(timeout=hold + 20)
        except subprocess.TimeoutExpired:
            proc.kill()
        reader.join(timeout=5)
    rest = []
    while not lines.empty():
        rest.append(lines.get())
    slow = last_json("".join(rest))
    row["slow_clients"] = slow
    row["held"] = slow.get("held")
    return row


def run_tls_case(box: Container, server: Server, mode: str, cfg: Settings) -> dict[str, Any]:
    argv = ["python3", AGENT, "handshakes", "--port", str(server.port), "--host", server.host]
    argv += ["--mode", mode, "--tls", "1.2", "--seconds", f"{cfg.handshake_seconds:g}"]
    result = run_load(box, (NGINX_UNIT,), argv, cfg.handshake_seconds + 30)
    hs = last_json(result["output"])
    cpu = sum(result["cpu_s"].values())
    return {
        "rps": hs["per_second"],
        "requests": hs["handshakes"],
        "reused": hs["reused"],
        "errors": hs["errors"],
        "cpu_s": cpu,
        "cpu_us_per_req": cpu / hs["handshakes"] * 1e6 if hs["handshakes"] else None,
    }


def run_ceiling(box: Container, dep: Deployment, cfg: Settings) -> dict[str, Any]:
    data = box.agent(
        "ceiling",
        "--seconds",
        f"{cfg.duration:g}",
        "--env-file",
        ENV_FILE,
        "--path",
        "/",
        python=f"{dep.venv_bin}/python",
        timeout=cfg.duration + 90,
    )
    # On a shared machine the measured rate depends on what else runs; the CPU time per call
    # does not. The ceiling is what one process per core reaches at that cost.
    cpu_us = data["cpu_us_per_request"]
    return {
        "rps": data["procs"] * 1e6 / cpu_us if cpu_us else None,
        "rps_measured": data["requests_per_s"],
        "requests": data["requests"],
        "errors": 0,
        "cpu_us_per_req": cpu_us,
        "procs": data["procs"],
    }


def run_case(
    box: Container, case: Case, servers: dict[str, Server], dep: Deployment, cfg: Settings
) -> dict[str, Any]:
    if case.kind == "dynamic":
        return run_wrk_case(box, servers[case.server], "/", case.concurrency, cfg)
    if case.kind == "io":
        return run_io_case(box, servers[case.server], case.concurrency, dep, cfg)
    if case.kind == "mixed":
        return run_mixed_case(box, servers[case.server], cfg)
    if case.kind == "static":
        return run_wrk_case(box, servers[case.server], "/static/large.bin", case.concurrency, cfg)
    if case.kind == "assets":
        return run_assets_case(box, servers[case.server], cfg)
    if case.kind == "slow":
        return run_slow_case(box, servers[case.server], cfg)
    if case.kind == "tls":
        return run_tls_case(box, servers[case.server], case.mode, cfg)
    return run_ceiling(box, dep, cfg)


# Planning figures for --budget, measured on a busy 2-core machine: per-case cost on top of the
# case's own duration, what some kinds add, setup before the first case and the reports after.
CASE_OVERHEAD_S = 1.3
KIND_EXTRA_S = {"slow": 3.5, "ceiling": 3.0, "assets": 0.5}
SETUP_SECONDS = 20.0
REPORT_SECONDS = 10.0
MIN_DURATION_S = 2  # wrk takes whole seconds


def case_seconds(case: Case, cfg: Settings) -> float:
    """Planned wall time of one run of a case."""
    return cfg.duration + CASE_OVERHEAD_S + cfg.settle + KIND_EXTRA_S.get(case.kind, 0.0)


def fit_duration(cases: Sequence[Case], cfg: Settings, budget: float) -> int:
    """The longest duration (up to cfg.duration) at which all rounds fit in the budget."""
    per_round = (budget - SETUP_SECONDS - REPORT_SECONDS) / cfg.repeats
    fixed = sum(case_seconds(c, cfg) - cfg.duration for c in cases)
    fitted = (per_round - fixed) / len(cases)
    return max(MIN_DURATION_S, min(int(cfg.duration), math.floor(fitted)))


def progress(round_no: int, rounds: int, case: Case, row: dict[str, Any]) -> str:
    text = f"[{round_no}/{rounds}] {case.id:<26} {row.get('rps', 0):>9,.0f}/s"
    if "p99_ms" in row:
        text += f"  p50 {row['p50_ms']:7.2f} ms  p99 {row['p99_ms']:8.2f} ms"
    text += f"  errors {row.get('errors', 0):>5}" if row.get("rps") else "  NO ANSWER"
    if row.get("cpu_us_per_req") is not None:
        text += f"  cpu {row['cpu_us_per_req']:7.0f} µs/req"
    if "held" in row:
        text += f"  slow clients held {row['held']}"
    if "cpu_rps" in row:
        text += (
            f"  CPU page {row['cpu_rps']:,.0f}/s p99 {row['cpu_p99_ms']:.1f} ms,"
            f" I/O page {row['io_rps']:,.0f}/s p99 {row['io_p99_ms']:.1f} ms"
        )
    if row.get("bytes_per_req") and row.get("encoding"):
        text += f"  {row['bytes_per_req']:,.0f} B/req ({row['encoding']})"
    if row.get("mem_worker_pss_kb"):
        text += f"  worker {row['mem_worker_pss_kb'] / 1024:.1f} MB PSS busy"
    return text


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark the deployed stack against the alternatives."
    )
    p.add_argument("--container", default="flaskstack-bench")
    p.add_argument("--app", default="sample", help="app_name of the deployment")
    p.add_argument("--https-host", default="app.flaskstack.test", help="TLS site's server name")
    p.add_argument("--http-host", default="plain.flaskstack.test", help="plain-HTTP site's name")
    p.add_argument(
        "--onthefly-host",
        default="onthefly.flaskstack.test",
        help="plain-HTTP site with static_precompressed: false (Nginx gzips on the fly)",
    )
    p.add_argument("--out", type=Path, default=Path("results/bench"))
    p.add_argument("--duration", type=int, default=3, help="seconds per case (max 20)")
    p.add_argument(
        "--budget",
        type=float,
        help="seconds this run may take in all: shortens the cases (not below 2 s) to fit, "
        "and stops early, with fewer rounds, if the machine is slower than planned",
    )
    p.add_argument("--repeats", type=int, default=3, help="alternating rounds (median reported)")
    p.add_argument("--slow-clients", type=int, default=200, help="slow connections (max 1000)")
    p.add_argument("--only", help="regex on case ids (e.g. 'dynamic/.*/c16')")
    p.add_argument("--smoke", action="store_true", help="one short case; check the outputs")
    p.add_argument(
        "--lcp-loads",
        type=int,
        default=20,
        help="cold page loads per server in headless Chromium after the wrk cases (bench/lcp.py; "
        "0 = none; left out with --only unless the regex matches 'lcp')",
    )
    p.add_argument(
        "--deploy", type=Path, help="deploy.json of bench/deploy.py, put into the report"
    )
    args = p.parse_args(argv)
    if args.smoke:
        args.only = r"^dynamic/stack-https/c16$"
        args.duration = 2
        args.repeats = 1
        args.lcp_loads = 0
    if args.only and not re.search(args.only, "lcp"):
        args.lcp_loads = 0
    args.duration = max(1, min(args.duration, 20))
    args.repeats = max(1, min(args.repeats, 9))
    args.slow_clients = max(1, min(args.slow_clients, 1000))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started, t0 = datetime.now(UTC), time.monotonic()
    cases = select_cases(args.only, allow_none=bool(args.lcp_loads))
    # The browser's share of the budget comes off the wrk cases' (bench/lcp.py keeps to it).
    lcp_budget = LCP_SECONDS if args.lcp_loads else 0.0
    if args.budget:
        args.budget -= lcp_budget
    cfg = plan_settings(args, cases)
    box = set_up_container(args)
    dep = discover(box, args.app)
    meta = describe_run(args, started, cfg, box, dep)
    announce(cases, cfg, meta, dep)
    servers = server_table(args.app, args.http_host, args.https_host, args.onthefly_host)
    runs, stopped_early = run_rounds(box, cases, servers, dep, cfg, t0, args.budget)
    meta["stopped_early"] = stopped_early
    if args.lcp_loads:
        meta["lcp"] = run_lcp(args, dep, servers, lcp_budget)
    summary, paths = write_report(args.out, runs, meta, cfg, t0)
    return smoke_check(summary, paths, meta["deploy"]) if args.smoke else 0


# Seconds of the budget the browser's loads get (bench/lcp.py: 20 cold loads per server took
# 79-88 s on a loaded 2-core machine).
LCP_SECONDS = 90.0


def run_lcp(
    args: argparse.Namespace, dep: Deployment, servers: dict[str, Server], budget: float
) -> dict[str, Any]:
    """TTFB and LCP in headless Chromium, the stack against the dev server, each under a
    64-connection load on its I/O page (bench/lcp.py), after the wrk cases."""
    box = set_up_container(args)
    try:
        with lcp.dev_server(box, dep, servers):
            return lcp.measure(box, servers, loads=args.lcp_loads, budget_s=budget - 10)
    finally:
        box.close()


def select_cases(only: str | None, allow_none: bool = False) -> list[Case]:
    """The cases whose id `only` matches; none is an error unless the browser's loads run."""
    cases = all_cases()
    if only:
        cases = [c for c in cases if re.search(only, c.id)]
    if not cases and not allow_none:
        raise BenchError(f"--only {only!r} matches no case")
    return cases


def plan_settings(args: argparse.Namespace, cases: Sequence[Case]) -> Settings:
    cfg = Settings(
        duration=args.duration,
        repeats=args.repeats,
        slow_clients=args.slow_clients,
        handshake_seconds=args.duration,
    )
    if args.budget:
        cfg.duration = cfg.handshake_seconds = fit_duration(cases, cfg, args.budget)
    return cfg


def set_up_container(args: argparse.Namespace) -> Container:
    box = Container(args.container)
    prepare_container(box, (args.https_host, args.http_host, args.onthefly_host))
    return box


def describe_run(
    args: argparse.Namespace, started: datetime, cfg: Settings, box: Container, dep: Deployment
) -> dict[str, Any]:
    return {
        "started": started.isoformat(timespec="seconds"),
        "container": args.container,
        "duration_s": cfg.duration,
        "repeats": cfg.repeats,
        "slow_clients": cfg.slow_clients,
        "concurrencies": list(CONCURRENCIES),
        "smoke": args.smoke,
        "gunicorn": {**dep.config, "summary": dep.gunicorn_summary(), "argv": dep.argv},
        **versions(box, dep),
        "deploy": json.loads(args.deploy.read_text()) if args.deploy else None,
    }


def announce(cases: Sequence[Case], cfg: Settings, meta: dict[str, Any], dep: Deployment) -> None:
    print(
        f"bench: {len(cases)} case(s) x {cfg.repeats} round(s) of {cfg.duration:g} s; "
        f"{meta['nginx_version']}, Gunicorn {meta['gunicorn_version']} "
        f"({dep.gunicorn_summary()}), {meta['cpus']} CPU(s)",
        flush=True,
    )


def run_rounds(
    box: Container,
    cases: Sequence[Case],
    servers: dict[str, Server],
    dep: Deployment,
    cfg: Settings,
    t0: float,
    budget: float | None,
) -> tuple[Runs, bool]:
    """Every case, round after round, with the side servers up: the runs, and if cut short."""
    runs: Runs = {c.id: [] for c in cases}
    deadline = t0 + budget - REPORT_SECONDS if budget else math.inf
    needed = {c.server for c in cases if c.server in servers}
    try:
        start_side_servers(box, dep, needed)
        # The sites site.yml deployed are checked even when no case loads them (the smoke case
        # loads one): each must answer its page and a static file.
        check_servers(box, servers, needed | (STACK_SERVERS & servers.keys()))
        for r in range(cfg.repeats):
            # Alternate the order between rounds so drift on a shared machine hits every case.
            order = cases if r % 2 == 0 else list(reversed(cases))
            if not run_round(box, order, r + 1, servers, dep, cfg, deadline, runs):
                print(
                    f"bench: WARNING stopped in round {r + 1} of {cfg.repeats} to stay within "
                    f"--budget {budget:g} s; medians are over fewer runs",
                    flush=True,
                )
                return runs, True
    finally:
        stop_side_servers(box)
        box.close()
    return runs, False


def run_round(
    box: Container,
    order: Sequence[Case],
    round_no: int,
    servers: dict[str, Server],
    dep: Deployment,
    cfg: Settings,
    deadline: float,
    runs: Runs,
) -> bool:
    """One run of each case into runs; False if the deadline came first."""
    for case in order:
        if time.monotonic() + case_seconds(case, cfg) > deadline:
            return False
        t = time.monotonic()
        row = run_case(box, case, servers, dep, cfg)
        row["wall_s"] = round(time.monotonic() - t, 2)
        runs[case.id].append(row)
        print(progress(round_no, cfg.repeats, case, row), flush=True)
        time.sleep(cfg.settle)
    return True


def write_report(
    out: Path, runs: Runs, meta: dict[str, Any], cfg: Settings, t0: float
) -> tuple[dict[str, dict[str, Any]], tuple[Path, Path, Path]]:
    """bench.json, bench.md and bench.png in out, the ratios on stdout: the summary, the paths."""
    summary = report.summarize(runs)
    ratios = report.compute_ratios(summary, CONCURRENCIES, cpus=meta.get("cpus"))
    meta["elapsed_s"] = round(time.monotonic() - t0, 1)
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path, png_path = (out / f"bench.{ext}" for ext in ("json", "md", "png"))
    report.write_json(
        json_path,
        {"meta": meta, "summary": summary, "ratios": [r.as_dict() for r in ratios], "runs": runs},
    )
    md_path.write_text(report.render_markdown(summary, ratios, meta))
    report.plot(
        summary,
        CONCURRENCIES,
        png_path,
        f"flaskstack sample app, {meta['cpus']} CPU(s), medians of {cfg.repeats} round(s)",
        meta["deploy"],
    )

    print("\n== ratios (medians)")
    for ratio in ratios:
        if ratio.value is not None:
            print(f"  {ratio.value:8.2f}x  {ratio.name}")
    print("\n== goals")
    measured = [
        g
        for g in goals.evaluate_goals(summary, meta.get("cpus"), meta.get("lcp"))
        if g.met is not None
    ]
    for goal in measured:
        print(f"  {goal.verdict:<7} {goal.name}: {goal.figure} (goal {goal.target})")
    if not measured:
        print("  (none: their cases did not run)")
    print(f"\nbench: wrote {json_path}, {md_path}, {png_path} in {meta['elapsed_s']} s")
    return summary, (json_path, md_path, png_path)


# What a no-change site.yml run may cost on the host of both tiers: the facts, then one read per
# role (app, gunicorn, processes, tls, nginx, firewall).
NO_CHANGE_HOST_CALLS = 7


def smoke_check(
    summary: dict[str, dict[str, Any]], paths: Sequence[Path], deploy: dict[str, Any] | None
) -> int:
    problems = []
    steps = [step["name"] for step in (deploy or {}).get("steps", [])]
    if steps != list(STEP_NAMES):
        problems.append(f"deploy section has steps {steps}, not {list(STEP_NAMES)}")
    # Every run calls modules on the host (facts at least): none counted means the count broke.
    problems += [
        f"deploy {step['name']}: no host calls counted"
        for step in (deploy or {}).get("steps", [])
        if not step.get("host_calls")
    ]
    # A run that changes nothing changes nothing, and reads the host once per role (issue 12):
    # a module call per file or per check again would show here as a count, not only as seconds.
    problems += [
        f"deploy no-change: {step['changed']} changed, {step['host_calls']} host calls"
        f" (0 changed and at most {NO_CHANGE_HOST_CALLS} host calls expected)"
        for step in (deploy or {}).get("steps", [])
        if step["name"] == "no-change"
        and (step.get("changed") != 0 or step.get("host_calls", 0) > NO_CHANGE_HOST_CALLS)
    ]
    for case_id, row in summary.items():
        if not row.get("rps"):
            problems.append(f"{case_id}: no requests/s")
        if row.get("errors"):
            problems.append(f"{case_id}: {row['errors']} errors")
        if not row.get("cpu_us_per_req"):
            problems.append(f"{case_id}: no server CPU time measured")
    for path in paths:
        if not path.is_file() or path.stat().st_size == 0:
            problems.append(f"{path} was not written")
    for problem in problems:
        print(f"bench smoke: FAIL {problem}", file=sys.stderr)
    if not problems:
        print("bench smoke: OK")
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(1)
