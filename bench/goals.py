"""Issue 33's cases in the report: the I/O page and its bound, the mixed load and starvation, the
static bundle against on-the-fly gzip and WhiteNoise, Gunicorn's memory, and the goals list.

Pure functions over the summary of a run (bench.report.summarize: medians per case id), so that
`python -m bench.report bench.json` redraws them and tests/unit checks them without a container.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The I/O page: the sample app's /slow sleeps this long, like a page waiting on a database.
IO_WAIT_MS = 20
IO_PATH = f"/slow?ms={IO_WAIT_MS}"
# The CPU page: the dynamic cases' page (the index renders a template, no waiting).
CPU_PATH = "/"
IO_CONCURRENCIES = (16, 64, 256)
GOAL_C = 64
# The mixed load: the CPU page and the I/O page at the same time, half the connections each.
MIXED_CONNECTIONS = (32, 32)
MIXED_TOTAL = sum(MIXED_CONNECTIONS)
# A kind is starved when its req/s in the mixed load fall below this share of its solo req/s at
# the same total connections (dynamic/<server>/c64, io/<server>/c64): with half the connections
# each, a fair share is about half its solo rate, so starved is less than half a fair share.
STARVED_BELOW = 0.25
# The static bundle: Bootstrap's minified build, vendored into the sample app (~230 + 80 KB),
# requested alternately (wrk script) with the Accept-Encoding of a browser.
BUNDLE_PATHS = ("/static/vendor/bootstrap.min.css", "/static/vendor/bootstrap.bundle.min.js")
ACCEPT_ENCODING = "br, gzip"
ASSET_SERVERS = ("stack-http", "stack-onthefly", "whitenoise")
# Memory: the role's planning figure per worker (gunicorn_worker_memory_mb's default) and a 1 GB
# VM, of which the role gives the workers at most half (workers x 150 MB <= memory / 2).
WORKER_BUDGET_MB = 150
VM_MB = 1024
APP_SHARE_OF_VM = 0.5

# The previous default's CPU-page p99 at 64 connections, stack HTTPS, measured on the machine of
# the change: make bench's own cases (dynamic/(dev|stack-https)/c64, 3 rounds of 2 s, median;
# rounds 38.62-40.04 ms) on the kept container of a full run, its gunicorn.conf.py set back to
# 2 gthread workers x 4 threads, 2026-12-07 (the full run of 2026-11-28 had 28.25 ms on a faster
# day of the same machine: its dev server cost 793 us per request, 1,080 on this one). Issue 33
# allows at most 10% above it.
BASELINE_CPU_P99_MS = 39.78
BASELINE_SOURCE = "make bench's cases of 2026-12-07 with 2 x 4 gthread, the previous default"
P99_TOLERANCE = 1.10
# Nginx + TLS CPU per dynamic request at c=64 (µs) in the full run of 2026-11-28: kept as a row to
# show a regression.
BASELINE_NGINX_TLS_US = 35.0
BASELINE_NGINX_TLS_SOURCE = "bench/latest/bench.md: make bench of 2026-11-28"


def _get(summary: Mapping[str, Mapping[str, Any]], case_id: str, metric: str) -> float | None:
    value = summary.get(case_id, {}).get(metric)
    return None if value is None else float(value)


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


# --- the I/O page and its bound ----------------------------------------------------------------


def io_bound(
    connections: int, wait_ms: float, cores: int | None, cpu_us_per_req: float | None
) -> float | None:
    """The most req/s a server can answer: min(connections / wait, cores / CPU per request). A
    bound whose inputs are unknown is left out; None when neither can be computed."""
    bounds = []
    if connections > 0 and wait_ms > 0:
        bounds.append(connections / (wait_ms / 1000))
    if cores and cpu_us_per_req:
        bounds.append(cores * 1e6 / cpu_us_per_req)
    return min(bounds) if bounds else None


@dataclass(frozen=True)
class IoRow:
    case_id: str
    server: str
    connections: int
    rps: float | None
    p99_ms: float | None
    cpu_us: float | None
    vs_dev: float | None  # req/s over the dev server's at the same connections
    bound: float | None
    share_of_bound: float | None


def io_rows(
    summary: Mapping[str, Mapping[str, Any]], servers: Sequence[str], cores: int | None
) -> list[IoRow]:
    """One row per io/<server>/c<n> case that ran, by connections then server."""
    rows = []
    for c in IO_CONCURRENCIES:
        dev = _get(summary, f"io/dev/c{c}", "rps")
        for server in servers:
            case_id = f"io/{server}/c{c}"
            if case_id not in summary:
                continue
            rps, cpu = _get(summary, case_id, "rps"), _get(summary, case_id, "cpu_us_per_req")
            bound = io_bound(c, IO_WAIT_MS, cores, cpu)
            rows.append(
                IoRow(
                    case_id,
                    server,
                    c,
                    rps,
                    _get(summary, case_id, "p99_ms"),
                    cpu,
                    _div(rps, dev) if server != "dev" else None,
                    bound,
                    _div(rps, bound),
                )
            )
    return rows


# --- the mixed load ------------------------------------------------------------------------------


def starved(mixed_rps: float | None, solo_rps: float | None) -> bool | None:
    """Whether a kind got less than STARVED_BELOW of its solo req/s; None when unknown."""
    if mixed_rps is None or not solo_rps:
        return None
    return mixed_rps < STARVED_BELOW * solo_rps


@dataclass(frozen=True)
class KindFigures:
    kind: str  # cpu | io
    rps: float | None
    p99_ms: float | None
    solo_rps: float | None

    @property
    def share(self) -> float | None:
        return _div(self.rps, self.solo_rps)

    @property
    def starved(self) -> bool | None:
        return starved(self.rps, self.solo_rps)


@dataclass(frozen=True)
class MixedRow:
    server: str
    cpu: KindFigures
    io: KindFigures

    @property
    def starved(self) -> bool | None:
        """Either kind starved; None when a figure is missing and neither is known starved."""
        verdicts = (self.cpu.starved, self.io.starved)
        if True in verdicts:
            return True
        return None if None in verdicts else False


def mixed_rows(summary: Mapping[str, Mapping[str, Any]], servers: Sequence[str]) -> list[MixedRow]:
    rows = []
    for server in servers:
        case_id = f"mixed/{server}/c{MIXED_TOTAL}"
        if case_id not in summary:
            continue
        solo = {
            "cpu": _get(summary, f"dynamic/{server}/c{MIXED_TOTAL}", "rps"),
            "io": _get(summary, f"io/{server}/c{MIXED_TOTAL}", "rps"),
        }
        kinds = {
            kind: KindFigures(
                kind,
                _get(summary, case_id, f"{kind}_rps"),
                _get(summary, case_id, f"{kind}_p99_ms"),
                solo[kind],
            )
            for kind in ("cpu", "io")
        }
        rows.append(MixedRow(server, kinds["cpu"], kinds["io"]))
    return rows


# --- memory --------------------------------------------------------------------------------------


def memory_figures(memory: Mapping[str, Any], threads: int | None) -> dict[str, float | None]:
    """From the agent's samples of the deployed Gunicorn (idle before the I/O load, busy during
    it): the master's and the mean worker's PSS when busy (kB), and per thread the workers' PSS
    growth from idle to busy over the threads they run (every thread holds a request then)."""
    idle, busy = memory.get("idle") or {}, memory.get("busy") or {}
    workers = busy.get("workers") or []
    idle_workers = idle.get("workers") or []
    master = busy.get("master") or idle.get("master") or {}
    busy_pss = sum(w["pss_kb"] for w in workers)
    idle_pss = sum(w["pss_kb"] for w in idle_workers)
    per_thread = None
    if workers and len(idle_workers) == len(workers) and threads:
        per_thread = (busy_pss - idle_pss) / (len(workers) * threads)
    return {
        "mem_master_pss_kb": float(master["pss_kb"]) if master else None,
        "mem_worker_pss_kb": busy_pss / len(workers) if workers else None,
        "mem_worker_idle_pss_kb": idle_pss / len(idle_workers) if idle_workers else None,
        "mem_worker_rss_kb": (
            sum(w["rss_kb"] for w in workers) / len(workers) if workers else None
        ),
        "mem_per_thread_kb": per_thread,
        "mem_workers": float(len(workers)) if workers else None,
        "mem_threads_busy": float(sum(w["threads"] for w in workers)) if workers else None,
    }


def gunicorn_total_mb(
    master_kb: float | None, worker_kb: float | None, workers: float | None
) -> float | None:
    """What the deployed Gunicorn holds: its master and every worker, busy (MB)."""
    if master_kb is None or worker_kb is None or not workers:
        return None
    return (master_kb + workers * worker_kb) / 1024


def fits_vm(total_mb: float | None, worker_kb: float | None) -> bool | None:
    """The defaults fit a 1 GB VM: every worker within the role's planning figure, and Gunicorn
    in all within the half of the VM the role gives it (the rest: OS, Nginx, a database)."""
    if total_mb is None or worker_kb is None:
        return None
    return worker_kb / 1024 <= WORKER_BUDGET_MB and total_mb <= VM_MB * APP_SHARE_OF_VM


# --- the goals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    name: str
    figure: str  # the measured figures, as printed
    target: str
    met: bool | None  # None: a case did not run

    @property
    def verdict(self) -> str:
        return {True: "met", False: "missed", None: "not measured"}[self.met]


def _x(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}x"


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _at_least(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def _at_most(value: float | None, target: float) -> bool | None:
    return None if value is None else value <= target


def evaluate_goals(
    summary: Mapping[str, Mapping[str, Any]],
    cores: int | None,
    lcp: Mapping[str, Any] | None = None,
) -> list[Goal]:
    """Issue 14's remaining goals and issue 33's, each met / missed with its figures; `lcp` is
    bench/lcp.py's result (meta["lcp"] of a run), when the browser ran."""
    s = summary
    goals = []
    c = GOAL_C
    stack, dev = f"dynamic/stack-https/c{c}", f"dynamic/dev/c{c}"
    cpu_vs_dev = _div(_get(s, stack, "rps"), _get(s, dev, "rps"))
    goals.append(
        Goal(
            f"CPU page, c={c}: stack HTTPS vs dev server (req/s)",
            f"{_x(cpu_vs_dev)}: {_n(_get(s, stack, 'rps'))} vs {_n(_get(s, dev, 'rps'))}",
            "≥ 3x",
            _at_least(cpu_vs_dev, 3.0),
        )
    )
    p99 = _get(s, stack, "p99_ms")
    limit = BASELINE_CPU_P99_MS * P99_TOLERANCE
    goals.append(
        Goal(
            f"CPU page, c={c}: stack HTTPS p99 vs the previous default's",
            f"{_n(p99, 1)} ms vs {BASELINE_CPU_P99_MS:g} ms ({BASELINE_SOURCE})",
            f"≤ {limit:.1f} ms (+10%)",
            _at_most(p99, limit),
        )
    )
    p99_vs_dev = _div(p99, _get(s, dev, "p99_ms"))
    goals.append(
        Goal(
            f"CPU page, c={c}: stack HTTPS p99 vs dev server p99 (issue 14)",
            f"{_x(p99_vs_dev)}: {_n(p99, 1)} vs {_n(_get(s, dev, 'p99_ms'), 1)} ms",
            "≤ 0.5x",
            _at_most(p99_vs_dev, 0.5),
        )
    )
    io = {r.case_id: r for r in io_rows(s, ("dev", "stack-https"), cores)}
    row = io.get(f"io/stack-https/c{c}")
    goals.append(
        Goal(
            f"I/O page ({IO_WAIT_MS} ms), c={c}: stack HTTPS vs dev server (req/s)",
            f"{_x(row.vs_dev if row else None)}: {_n(row.rps if row else None)} vs "
            f"{_n(_get(s, f'io/dev/c{c}', 'rps'))}",
            "≥ 2x",
            _at_least(row.vs_dev if row else None, 2.0),
        )
    )
    share = row.share_of_bound if row else None
    goals.append(
        Goal(
            f"I/O page ({IO_WAIT_MS} ms), c={c}: stack HTTPS vs its bound",
            f"{_n(None if share is None else share * 100)}%: {_n(row.rps if row else None)} of "
            f"{_n(row.bound if row else None)} req/s",
            "≥ 70%",
            _at_least(share, 0.70),
        )
    )
    mixed = {r.server: r for r in mixed_rows(s, ("stack-https",))}.get("stack-https")
    goals.append(
        Goal(
            f"mixed load ({MIXED_CONNECTIONS[0]} + {MIXED_CONNECTIONS[1]}), stack HTTPS: "
            "neither kind starved",
            "-"
            if mixed is None
            else f"CPU page {_n(None if mixed.cpu.share is None else mixed.cpu.share * 100)}%, "
            f"I/O page {_n(None if mixed.io.share is None else mixed.io.share * 100)}% of solo",
            f"each ≥ {STARVED_BELOW:.0%} of its solo req/s",
            None if mixed is None or mixed.starved is None else not mixed.starved,
        )
    )
    pre, otf, wn = (f"assets/{server}/c16" for server in ASSET_SERVERS)
    bytes_ratio = _div(_get(s, pre, "bytes_per_req"), _get(s, otf, "bytes_per_req"))
    goals.append(
        Goal(
            "static bundle: bytes per request, precompressed brotli vs on-the-fly gzip",
            f"{_x(bytes_ratio)}: {_n(_get(s, pre, 'bytes_per_req'))} vs "
            f"{_n(_get(s, otf, 'bytes_per_req'))} B",
            "≤ 0.85x",
            _at_most(bytes_ratio, 0.85),
        )
    )
    cpu_ratio = _div(_get(s, pre, "cpu_nginx_us_per_req"), _get(s, otf, "cpu_nginx_us_per_req"))
    goals.append(
        Goal(
            "static bundle: Nginx CPU per request, precompressed vs on-the-fly",
            f"{_x(cpu_ratio)}: {_n(_get(s, pre, 'cpu_nginx_us_per_req'), 1)} vs "
            f"{_n(_get(s, otf, 'cpu_nginx_us_per_req'), 1)} µs",
            "≤ 0.5x",
            _at_most(cpu_ratio, 0.5),
        )
    )
    rps_ratio = _div(_get(s, pre, "rps"), _get(s, wn, "rps"))
    goals.append(
        Goal(
            "static bundle: stack (HTTP) vs WhiteNoise on Gunicorn (req/s)",
            f"{_x(rps_ratio, 1)}: {_n(_get(s, pre, 'rps'))} vs {_n(_get(s, wn, 'rps'))}",
            "≥ 10x",
            _at_least(rps_ratio, 10.0),
        )
    )
    static_ratio = _div(_get(s, "static/stack-http/c16", "rps"), _get(s, "static/dev/c16", "rps"))
    goals.append(
        Goal(
            "100 KB static file: Nginx vs Flask, both plain HTTP (req/s; issue 14)",
            _x(static_ratio, 1),
            "≥ 20x",
            _at_least(static_ratio, 20.0),
        )
    )
    mem = f"io/stack-https/c{c}"
    worker_kb = _get(s, mem, "mem_worker_pss_kb")
    total = gunicorn_total_mb(
        _get(s, mem, "mem_master_pss_kb"), worker_kb, _get(s, mem, "mem_workers")
    )
    goals.append(
        Goal(
            "memory: the deployed Gunicorn (master + workers, busy) fits a 1 GB VM",
            f"{_n(total)} MB in all, {_n(None if worker_kb is None else worker_kb / 1024)} MB "
            "per worker",
            f"≤ {VM_MB * APP_SHARE_OF_VM:.0f} MB, ≤ {WORKER_BUDGET_MB} MB per worker",
            fits_vm(total, worker_kb),
        )
    )
    goals.append(lcp_goal(lcp or {}))
    return goals


def lcp_goal(lcp: Mapping[str, Any]) -> Goal:
    """Stack p75 LCP against the dev server's, from bench/lcp.py's result."""
    rows = lcp.get("servers", {})
    stack, dev = rows.get("stack-https", {}), rows.get("dev", {})
    return Goal(
        "LCP in headless Chromium under a 64-connection I/O load: stack HTTPS p75 vs dev server",
        f"{_x(lcp.get('ratio'))}: {_n(stack.get('lcp_p75_ms'))} vs {_n(dev.get('lcp_p75_ms'))} ms "
        f"({stack.get('loads', 0)} + {dev.get('loads', 0)} cold loads)",
        f"≤ {lcp.get('goal', 0.5):g}x",
        lcp.get("goal_met"),
    )


def nginx_tls_row(summary: Mapping[str, Mapping[str, Any]]) -> str:
    """Nginx + TLS CPU per request at c=64 against the last full run's (a regression shows)."""
    value = _get(summary, f"dynamic/stack-https/c{GOAL_C}", "cpu_nginx_us_per_req")
    return (
        f"| Nginx + TLS CPU per request, CPU page c={GOAL_C} (no goal: a regression shows here) "
        f"| {_n(value)} µs ({_x(_div(value, BASELINE_NGINX_TLS_US))} the "
        f"{BASELINE_NGINX_TLS_US:g} µs of {BASELINE_NGINX_TLS_SOURCE}) | - | - |"
    )


# --- the Markdown sections -----------------------------------------------------------------------


def render_goals(
    summary: Mapping[str, Mapping[str, Any]],
    cores: int | None,
    lcp: Mapping[str, Any] | None = None,
) -> list[str]:
    goals = evaluate_goals(summary, cores, lcp)
    return [
        "",
        "## Goals",
        "",
        "Issue 33's goals and issue 14's still standing (its two below Gunicorn's own floor, stack "
        "CPU ≤ 1.8x the app in-process and ≥ 0.95x Gunicorn direct's req/s, are retired: "
        "bench/README.md, fifth round).",
        "",
        "| Goal | Measured | Target | Verdict |",
        "|---|---|---|---|",
        *(f"| {g.name} | {g.figure} | {g.target} | **{g.verdict}** |" for g in goals),
        nginx_tls_row(summary),
    ]


def render_io(
    summary: Mapping[str, Mapping[str, Any]],
    servers: Sequence[str],
    labels: Mapping[str, str],
    cores: int | None,
) -> list[str]:
    rows = io_rows(summary, servers, cores)
    if not rows:
        return []
    lines = [
        "",
        f"## I/O page: `{IO_PATH}` (waits {IO_WAIT_MS} ms, like a database query)",
        "",
        f"Bound: min(connections ÷ {IO_WAIT_MS} ms, {cores or '?'} cores ÷ the case's server CPU "
        "per request): what no server can beat at that concurrency.",
        "",
        "| Connections | Server | req/s | p99 ms | CPU µs/req | vs dev server | bound req/s "
        "| % of bound |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.connections} | {labels.get(r.server, r.server)} | {_n(r.rps)} | {_n(r.p99_ms, 1)} | "
        f"{_n(r.cpu_us)} | {_x(r.vs_dev)} | {_n(r.bound)} | "
        f"{_n(None if r.share_of_bound is None else r.share_of_bound * 100)}% |"
        for r in rows
    ]
    return lines


def _verdict(value: bool | None) -> str:
    return {True: "**starved**", False: "no", None: "-"}[value]


def render_mixed(
    summary: Mapping[str, Mapping[str, Any]], servers: Sequence[str], labels: Mapping[str, str]
) -> list[str]:
    rows = mixed_rows(summary, servers)
    if not rows:
        return []
    a, b = MIXED_CONNECTIONS
    lines = [
        "",
        f"## Mixed load: the CPU page ({a} connections) and the I/O page ({b}) at once",
        "",
        f"Each kind's req/s against its solo run at {MIXED_TOTAL} connections; starved: below "
        f"{STARVED_BELOW:.0%} of it (half the connections each makes about half a fair share).",
        "",
        "| Server | CPU page req/s | p99 ms | % of solo | starved | I/O page req/s | p99 ms "
        "| % of solo | starved |",
        "|---|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in rows:
        cells = []
        for k in (r.cpu, r.io):
            share = None if k.share is None else k.share * 100
            cells.append(f"{_n(k.rps)} | {_n(k.p99_ms, 1)} | {_n(share)}% | {_verdict(k.starved)}")
        lines.append(f"| {labels.get(r.server, r.server)} | {' | '.join(cells)} |")
    return lines


def render_assets(summary: Mapping[str, Mapping[str, Any]], labels: Mapping[str, str]) -> list[str]:
    present = [s for s in ASSET_SERVERS if f"assets/{s}/c16" in summary]
    if not present:
        return []
    lines = [
        "",
        "## Static bundle: Bootstrap's CSS and JS with `Accept-Encoding: br, gzip`, 16 connections",
        "",
        "Bytes per request: what wrk read (headers and body) over the requests, the two files "
        "alternately. The stack serves the release's `.br` files (`brotli_static`); the "
        "on-the-fly vhost (`static_precompressed: false`) gzips each response; WhiteNoise on "
        "Gunicorn serves the same `.br` files from the same directory.",
        "",
        "| Server | Content-Encoding | req/s | bytes/req | Nginx CPU µs/req | server CPU µs/req |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for server in present:
        row = summary[f"assets/{server}/c16"]
        lines.append(
            f"| {labels.get(server, server)} | {row.get('encoding') or '-'} | "
            f"{_n(row.get('rps'))} | {_n(row.get('bytes_per_req'))} | "
            f"{_n(row.get('cpu_nginx_us_per_req'), 1)} | {_n(row.get('cpu_us_per_req'), 1)} |"
        )
    return lines


def render_memory(summary: Mapping[str, Mapping[str, Any]]) -> list[str]:
    row = summary.get(f"io/stack-https/c{GOAL_C}", {})
    if row.get("mem_worker_pss_kb") is None:
        return []
    total = gunicorn_total_mb(
        row.get("mem_master_pss_kb"), row.get("mem_worker_pss_kb"), row.get("mem_workers")
    )
    fits = fits_vm(total, row.get("mem_worker_pss_kb"))
    return [
        "",
        "## Memory of the deployed Gunicorn",
        "",
        "PSS from `/proc/<pid>/smaps_rollup` of the unit's master and workers (shared pages "
        f"split among the processes that map them), idle before the I/O load at c={GOAL_C} and "
        "busy halfway through it (every thread then holds a request). Per thread: the workers' "
        "growth from idle to busy over the threads they run.",
        "",
        "| master MB | worker MB idle | worker MB busy (RSS) | per thread kB | workers "
        "| threads (busy) | Gunicorn in all MB | fits a 1 GB VM |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {_mb(row.get('mem_master_pss_kb'))} | {_mb(row.get('mem_worker_idle_pss_kb'))} | "
        f"{_mb(row.get('mem_worker_pss_kb'))} ({_mb(row.get('mem_worker_rss_kb'))}) | "
        f"{_n(row.get('mem_per_thread_kb'))} | {_n(row.get('mem_workers'))} | "
        f"{_n(row.get('mem_threads_busy'))} | {_n(total)} | "
        f"{ {True: 'yes', False: 'no', None: '-'}[fits] } |",
    ]


def _mb(kb: float | None) -> str:
    return "-" if kb is None else f"{kb / 1024:,.1f}"


def render_sections(
    summary: Mapping[str, Mapping[str, Any]],
    labels: Mapping[str, str],
    cores: int | None,
    lcp: Mapping[str, Any] | None = None,
) -> list[str]:
    """The goals, then the I/O, mixed, static-bundle and memory sections of bench.md."""
    servers = ("dev", "gunicorn", "stack-http", "stack-https")
    return [
        *render_goals(summary, cores, lcp),
        *render_io(summary, servers, labels, cores),
        *render_mixed(summary, servers, labels),
        *render_assets(summary, labels),
        *render_memory(summary),
    ]
