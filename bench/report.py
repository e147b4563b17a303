"""Medians, ratios and the three outputs of `make bench`: bench.json, bench.md, bench.png."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

from bench import goals, lcp
from bench.deploy import no_change_vs_peer
from bench.servers import CPU_PARTS

SERVER_LABELS = {
    "dev": "Flask dev server",
    "gunicorn": "Gunicorn direct (HTTP)",
    "stack-http": "Nginx → Gunicorn (HTTP)",
    "stack-https": "Nginx → Gunicorn (HTTPS)",
    "inprocess": "In-process (no network)",
    "stack-onthefly": "Nginx, gzip on the fly (HTTP)",
    "whitenoise": "WhiteNoise on Gunicorn (HTTP)",
}
SERVER_ORDER = [
    "dev",
    "gunicorn",
    "stack-http",
    "stack-https",
    "stack-onthefly",
    "whitenoise",
    "inprocess",
]
COLORS = {
    "dev": "#d62728",
    "gunicorn": "#ff7f0e",
    "stack-http": "#1f77b4",
    "stack-https": "#2ca02c",
    "inprocess": "#7f7f7f",
    "stack-onthefly": "#17becf",
    "whitenoise": "#8c564b",
}
# Median fields of a case (absent ones are simply left out).
METRICS = (
    "rps",
    "rps_measured",
    "p50_ms",
    "p99_ms",
    "errors",
    "cpu_us_per_req",
    *(f"cpu_{part}_us_per_req" for part in CPU_PARTS),
    "held",
    "bytes_per_req",
    "cpu_rps",
    "cpu_p99_ms",
    "io_rps",
    "io_p99_ms",
    "mem_master_pss_kb",
    "mem_worker_pss_kb",
    "mem_worker_idle_pss_kb",
    "mem_worker_rss_kb",
    "mem_per_thread_kb",
    "mem_workers",
    "mem_threads_busy",
)
# Text fields of a case, the same in every run (the first run's is kept).
TEXT_FIELDS = ("encoding",)
# Column heads of the parts of a server's CPU time (bench.servers.CPU_PARTS).
CPU_PART_LABELS = {"app_server": "Gunicorn or dev server", "nginx": "Nginx", "journald": "journald"}
# Metrics whose spread over the runs is kept as <metric>_min and <metric>_max.
SPREAD_METRICS = ("rps", "p99_ms")
SERVERS = ["dev", "gunicorn", "stack-http", "stack-https"]
# Past this many times the highest server value, the in-process ceiling leaves the plot's scale.
CEILING_OFF_SCALE = 1.5
# Headroom above the highest server value when the ceiling is off scale.
HEADROOM = 1.25
# Written as escapes: ruff (RUF001) takes the characters for look-alikes of "-" and "x".
EN_DASH, TIMES = "\u2013", "\u00d7"
BOUND_C = 64
P99_VS_DEV = f"stack HTTPS p99 vs dev server p99, dynamic c={BOUND_C}"
BOUND = f"bound on stack HTTPS vs dev server at c={BOUND_C}: cores {TIMES} dev CPU ÷ stack CPU"
GUNICORN_VS_INPROCESS = (
    f"Gunicorn direct CPU per request vs the app in-process, c={BOUND_C} (the same, without Nginx)"
)


@dataclass(frozen=True)
class Ratio:
    """One headline ratio: numerator case / denominator case for a metric."""

    name: str
    value: float | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "detail": self.detail}


def _real(values: Iterable[float | int | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def median(values: Iterable[float | int | None]) -> float | None:
    """Median of the values that are real numbers; None when there are none."""
    real = _real(values)
    return statistics.median(real) if real else None


def spread(values: Iterable[float | int | None]) -> tuple[float | None, float | None]:
    """(min, max) of the values that are real numbers; (None, None) when there are none."""
    real = _real(values)
    return (min(real), max(real)) if real else (None, None)


def is_stall(run: Mapping[str, Any]) -> bool:
    """A round with no answer: no requests per second, or no requests at all."""
    return not run.get("rps") or run.get("requests") == 0


def summarize(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per case id: the median of every metric over its runs, the number of runs, the number of
    stalled runs, and the min and max of req/s and p99 (a median alone hides a stalled round)."""
    summary: dict[str, dict[str, Any]] = {}
    for case_id, case_runs in runs.items():
        row: dict[str, Any] = {"runs": len(case_runs)}
        for metric in METRICS:
            if any(metric in r for r in case_runs):
                row[metric] = median(r.get(metric) for r in case_runs)
        for name in TEXT_FIELDS:
            texts = [r[name] for r in case_runs if r.get(name)]
            if texts:
                row[name] = texts[0]
        row["stalls"] = sum(is_stall(r) for r in case_runs)
        for metric in SPREAD_METRICS:
            row[f"{metric}_min"], row[f"{metric}_max"] = spread(r.get(metric) for r in case_runs)
        summary[case_id] = row
    return summary


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


STACK_VS_DEV = "stack HTTPS vs dev server, dynamic c={c} (req/s)"


def with_c(text: str, c: int) -> str:
    """A text of the ratio table with its `{c}` placeholders replaced by the concurrency c."""
    return text.replace("{c}", str(c))


def stack_vs_dev(c: int) -> str:
    """Name of the ratio of stack HTTPS req/s to dev server req/s at concurrency c."""
    return with_c(STACK_VS_DEV, c)


class Over(Enum):
    """Which concurrencies a row of the ratio table gives ratios for."""

    ONE = "one ratio of two fixed cases"
    EACH = "one ratio per concurrency, {c} in the name, case ids and detail replaced by it"
    BEST = "one ratio whose numerator is the best value of its {c} case over the concurrencies"


@dataclass(frozen=True)
class RatioSpec:
    """A row of the ratio table: `metric` of the numerator case ÷ `metric` of the denominator
    case. `only_at`: the ratio exists only when that concurrency runs; `times_cpus`: the quotient
    is multiplied by the cores of the bench machine (None when they are unknown)."""

    name: str
    metric: str
    numerator: str
    denominator: str
    detail: str
    over: Over = Over.ONE
    only_at: int | None = None
    times_cpus: bool = False

    def at(self, c: int) -> RatioSpec:
        """This row at concurrency c: one ratio, with its placeholders replaced."""
        return replace(
            self,
            name=with_c(self.name, c),
            numerator=with_c(self.numerator, c),
            denominator=with_c(self.denominator, c),
            detail=with_c(self.detail, c),
            over=Over.ONE,
        )

    def instances(self, concurrencies: Sequence[int]) -> list[RatioSpec]:
        """The ratios this row gives for the concurrencies that ran, in their order."""
        if self.only_at is not None and self.only_at not in concurrencies:
            return []
        if self.over is Over.EACH:
            return [self.at(c) for c in concurrencies]
        return [self]


RPS, CPU_PER_REQ = "rps", "cpu_us_per_req"
_STACK, _DEV = f"dynamic/stack-https/c{BOUND_C}", f"dynamic/dev/c{BOUND_C}"
# The headline ratios, in the order of the report.
RATIOS: tuple[RatioSpec, ...] = (
    RatioSpec(
        STACK_VS_DEV,
        RPS,
        "dynamic/stack-https/c{c}",
        "dynamic/dev/c{c}",
        "dynamic/stack-https/c{c} ÷ dynamic/dev/c{c}",
        Over.EACH,
    ),
    RatioSpec(
        "stack HTTPS vs Gunicorn direct, dynamic c={c} (req/s)",
        RPS,
        "dynamic/stack-https/c{c}",
        "dynamic/gunicorn/c{c}",
        "dynamic/stack-https/c{c} ÷ dynamic/gunicorn/c{c}",
        Over.EACH,
    ),
    RatioSpec(
        P99_VS_DEV,
        "p99_ms",
        _STACK,
        _DEV,
        f"p99({_STACK}) ÷ p99({_DEV}) (below 1 = the stack answers faster)",
        only_at=BOUND_C,
    ),
    RatioSpec(
        BOUND,
        CPU_PER_REQ,
        _DEV,
        _STACK,
        f"cpus {TIMES} cpu({_DEV}) ÷ cpu({_STACK}): the GIL holds the dev server to one core",
        only_at=BOUND_C,
        times_cpus=True,
    ),
    RatioSpec(
        GUNICORN_VS_INPROCESS,
        CPU_PER_REQ,
        f"dynamic/gunicorn/c{BOUND_C}",
        "ceiling/inprocess",
        f"cpu(dynamic/gunicorn/c{BOUND_C}) ÷ cpu(ceiling/inprocess): the stack runs this Gunicorn "
        "and adds Nginx",
        only_at=BOUND_C,
    ),
    RatioSpec(
        "Nginx static vs Flask static, 100 KB file, both plain HTTP (req/s)",
        RPS,
        "static/stack-http/c16",
        "static/dev/c16",
        "static/stack-http/c16 ÷ static/dev/c16 (like for like: the dev server has no TLS)",
    ),
    RatioSpec(
        "Nginx static over HTTPS vs Flask static over HTTP, 100 KB file (req/s)",
        RPS,
        "static/stack-https/c16",
        "static/dev/c16",
        "static/stack-https/c16 ÷ static/dev/c16 (Nginx also encrypts, the dev server does not)",
    ),
    RatioSpec(
        "Flask static vs Nginx static, 100 KB file (server CPU per request)",
        CPU_PER_REQ,
        "static/dev/c16",
        "static/stack-https/c16",
        "cpu(static/dev/c16) ÷ cpu(static/stack-https/c16)",
    ),
    *(
        RatioSpec(
            f"slow-client impact on {SERVER_LABELS[server]} (req/s kept)",
            RPS,
            f"slow/{server}/c16",
            f"dynamic/{server}/c16",
            f"slow/{server}/c16 ÷ dynamic/{server}/c16 (1.0 = unaffected)",
        )
        for server in SERVERS
    ),
    RatioSpec(
        "deployed (best stack HTTPS) vs in-process ceiling (req/s)",
        RPS,
        "dynamic/stack-https/c{c}",
        "ceiling/inprocess",
        "max over c of dynamic/stack-https ÷ ceiling/inprocess",
        Over.BEST,
    ),
    RatioSpec(
        "in-process ceiling vs deployed HTTPS, c=16 (CPU per request)",
        CPU_PER_REQ,
        "ceiling/inprocess",
        "dynamic/stack-https/c16",
        "cpu(ceiling/inprocess) ÷ cpu(dynamic/stack-https/c16): the share of CPU the app uses",
    ),
    RatioSpec(
        "TLS 1.2 resumed vs full handshakes (handshakes/s)",
        RPS,
        "tls/resumed",
        "tls/full",
        "tls/resumed ÷ tls/full (one client, so client cost is included)",
    ),
    RatioSpec(
        "TLS 1.2 full vs resumed handshakes (Nginx CPU per handshake)",
        CPU_PER_REQ,
        "tls/full",
        "tls/resumed",
        "cpu(tls/full) ÷ cpu(tls/resumed)",
    ),
)


def _metric(summary: Mapping[str, Mapping[str, Any]], case_id: str, name: str) -> float | None:
    return summary.get(case_id, {}).get(name)


def _numerator(
    spec: RatioSpec, summary: Mapping[str, Mapping[str, Any]], concurrencies: Sequence[int]
) -> float | None:
    """The numerator of a row; for Over.BEST the highest value over the concurrencies."""
    if spec.over is not Over.BEST:
        return _metric(summary, spec.numerator, spec.metric)
    values = (_metric(summary, with_c(spec.numerator, c), spec.metric) for c in concurrencies)
    return max((v for v in values if v is not None), default=None)


def evaluate(
    spec: RatioSpec,
    summary: Mapping[str, Mapping[str, Any]],
    concurrencies: Sequence[int],
    cpus: int | None,
) -> Ratio:
    """The ratio of one instance of a row; None when a case did not run or a value is missing."""
    denominator = _metric(summary, spec.denominator, spec.metric)
    value = _div(_numerator(spec, summary, concurrencies), denominator)
    if spec.times_cpus:
        value = None if cpus is None or value is None else cpus * value
    return Ratio(spec.name, value, spec.detail)


def compute_ratios(
    summary: Mapping[str, Mapping[str, Any]],
    concurrencies: Sequence[int],
    *,
    cpus: int | None = None,
) -> list[Ratio]:
    """The ratios the issue asks for, one per instance of a row of RATIOS, in the table's order; a
    ratio whose cases did not run has value None. `cpus` (the cores of the bench machine) gives
    the bound at c=64."""
    return [
        evaluate(instance, summary, concurrencies, cpus)
        for spec in RATIOS
        for instance in spec.instances(concurrencies)
    ]


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _fmt_spread(row: Mapping[str, Any], metric: str, digits: int = 0) -> str:
    """The median of a metric and its "(min-max)"; the median alone when the spread is unknown."""
    text = _fmt(row.get(metric), digits)
    low, high = row.get(f"{metric}_min"), row.get(f"{metric}_max")
    if low is None or high is None:
        return text
    return f"{text} ({_fmt(low, digits)}{EN_DASH}{_fmt(high, digits)})"


def bound_sentence(ratios: Sequence[Ratio], cpus: int | None) -> str | None:
    """The measured stack-vs-dev ratio at c=64 next to its physical bound; None when a value
    is missing."""
    values = {r.name: r.value for r in ratios}
    measured, bound = values.get(stack_vs_dev(BOUND_C)), values.get(BOUND)
    share = _div(measured, bound)
    if measured is None or bound is None or share is None or cpus is None:
        return None
    return (
        f"At c={BOUND_C} the stack reached {measured:.1f}x the dev server; the {cpus}-core "
        f"bound is {bound:.1f}x ({share:.0%} of it)."
    )


def describe_case(case_id: str) -> tuple[str, str]:
    """(server label, load description) for a case id such as dynamic/stack-https/c64."""
    parts = case_id.split("/")
    kind = parts[0]
    if kind == "ceiling":
        return SERVER_LABELS["inprocess"], "dynamic page, one process per core"
    if kind == "tls":
        return SERVER_LABELS["stack-https"], f"TLS 1.2 {parts[1]} handshakes, 1 client"
    server, conc = parts[1], parts[2].removeprefix("c")
    conns = f"{conc} connection{'' if conc == '1' else 's'}"
    a, b = goals.MIXED_CONNECTIONS
    load = {
        "dynamic": f"dynamic page, {conns}",
        "io": f"I/O page ({goals.IO_WAIT_MS} ms wait), {conns}",
        "mixed": f"dynamic page ({a}) + I/O page ({b}) at once",
        "static": f"100 KB static file, {conns}",
        "assets": f"CSS + JS bundle, Accept-Encoding: {goals.ACCEPT_ENCODING}, {conns}",
        "slow": f"dynamic page, {conns} + slow clients",
    }[kind]
    return SERVER_LABELS[server], load


CASE_KINDS = ("dynamic", "io", "mixed", "static", "assets", "slow", "tls", "ceiling")
TLS_MODES = ("full", "resumed")


def case_order(case_id: str) -> tuple[int, int, int]:
    """Sort key of a case id: the order a run measures them in (kind, then concurrency and
    server, TLS full before resumed), which a bench.json, written with sorted keys, loses."""
    parts = case_id.split("/")
    kind = CASE_KINDS.index(parts[0]) if parts[0] in CASE_KINDS else len(CASE_KINDS)
    if len(parts) == 3 and parts[1] in SERVER_ORDER and parts[2][1:].isdigit():
        return (kind, int(parts[2][1:]), SERVER_ORDER.index(parts[1]))
    if len(parts) == 2 and parts[1] in TLS_MODES:
        return (kind, 0, TLS_MODES.index(parts[1]))
    return (kind, 0, 0)


def render_markdown(
    summary: Mapping[str, Mapping[str, Any]], ratios: Sequence[Ratio], meta: Mapping[str, Any]
) -> str:
    lines = [
        "# Benchmark: the sample app served five ways",
        "",
        f"Run {meta.get('started', '?')} on {meta.get('cpus', '?')} CPU(s), "
        f"{meta.get('repeats', '?')} alternating rounds of {meta.get('duration_s', '?')} s per "
        f"case; medians, with the min{EN_DASH}max over the rounds in brackets. Server CPU is the "
        "CPU time of the serving processes (Nginx + Gunicorn for the stack) and of "
        "systemd-journald, which every server's log lines pass through, divided by the requests "
        "they answered.",
        "",
        f"Stack: {meta.get('nginx_version', '?')}; Gunicorn "
        f"{meta.get('gunicorn', {}).get('summary', '?')}.",
        "",
        "## Ratios",
        "",
        "| Ratio | Value |",
        "|---|---:|",
    ]
    lines += [f"| {r.name} | {_times(r.value)} |" for r in ratios]
    sentence = bound_sentence(ratios, meta.get("cpus"))
    if sentence:
        lines += ["", sentence]
    lines += goals.render_sections(summary, SERVER_LABELS, meta.get("cpus"), meta.get("lcp"))
    if meta.get("lcp"):
        lines += ["", "## LCP in a browser", "", lcp.format_markdown(meta["lcp"]).rstrip("\n")]
    lines += render_cpu_split(summary)
    lines += [
        "",
        "## Cases",
        "",
        "| Case | Server | Load | req/s | p50 ms | p99 ms | errors | stalled rounds "
        "| server CPU µs/req |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    cases = sorted(summary.items(), key=lambda item: case_order(item[0]))
    lines += [case_line(case_id, row) for case_id, row in cases]
    ceiling = summary.get("ceiling/inprocess", {})
    if ceiling.get("rps_measured") is not None:
        lines += [
            "",
            "The in-process ceiling is CPU-bound: one process per core, each calling the WSGI app "
            f"in a loop at {_fmt(ceiling.get('cpu_us_per_req'))} µs of CPU per call, reaches "
            f"{_fmt(ceiling.get('rps'))} req/s (the table's figure); measured wall-clock on this "
            f"run it did {_fmt(ceiling.get('rps_measured'))} req/s, which depends on what else "
            "the machine was running.",
        ]
    lines += render_deploy(meta.get("deploy"))
    lines += [
        "",
        "TLS rows count handshakes per second and Nginx CPU per handshake. Errors are socket "
        "errors and timeouts plus non-2xx/3xx responses, per run (median).",
        "",
    ]
    return "\n".join(lines)


def _times(value: float | None) -> str:
    """A ratio as the report prints it ("2.20x"), "-" when it is unknown."""
    return "-" if value is None else f"{_fmt(value, 2)}x"


def _tick(server: str) -> str:
    """A server's label under a bar, broken before its bracket."""
    return SERVER_LABELS[server].replace(" (", "\n(")


def render_cpu_split(summary: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Where the CPU of a dynamic request goes at c=64: each server's processes (CPU_PARTS), its
    total and that total over the app's own cost in-process; nothing when no such case ran."""
    inprocess = _metric(summary, "ceiling/inprocess", CPU_PER_REQ)
    rows = []
    for server in SERVERS:
        row = summary.get(f"dynamic/{server}/c{BOUND_C}")
        if row is None:
            continue
        parts = " | ".join(_fmt(row.get(f"cpu_{part}_us_per_req")) for part in CPU_PARTS)
        total = row.get(CPU_PER_REQ)
        times = _times(_div(total, inprocess))
        rows.append(f"| {SERVER_LABELS[server]} | {parts} | {_fmt(total)} | {times} |")
    if not rows:
        return []
    if inprocess is not None:
        app = " | ".join(_fmt(inprocess if part == "app_server" else None) for part in CPU_PARTS)
        rows.append(f"| {SERVER_LABELS['inprocess']} | {app} | {_fmt(inprocess)} | 1.00x |")
    heads = " | ".join(f"{CPU_PART_LABELS[part]} µs" for part in CPU_PARTS)
    return [
        "",
        f"## Where the CPU goes: dynamic page, c={BOUND_C}",
        "",
        "Server CPU per request by process, beside the app called in-process (the same WSGI "
        "call, no server). The first column is Gunicorn or the dev server together with the app "
        "it runs. The stack runs the same Gunicorn as Gunicorn direct and adds Nginx in front; "
        "its Gunicorn differs from Gunicorn direct only by what the unix socket saves and what "
        "Nginx's forwarded headers cost the app.",
        "",
        f"| Server | {heads} | total µs | vs the app in-process |",
        "|---|" + "---:|" * (len(CPU_PARTS) + 2),
        *rows,
    ]


def case_line(case_id: str, row: Mapping[str, Any]) -> str:
    """One row of the cases table."""
    server, load = describe_case(case_id)
    # wrk counts no error when a server never answers: say so instead of "0".
    errors = "no answer" if row.get("rps") == 0 else _fmt(row.get("errors"))
    stalls = f"{row.get('stalls', '?')} of {row.get('runs', '?')}"
    return (
        f"| `{case_id}` | {server} | {load} | {_fmt_spread(row, 'rps')} | "
        f"{_fmt(row.get('p50_ms'), 2)} | {_fmt_spread(row, 'p99_ms', 2)} | "
        f"{errors} | {stalls} | {_fmt(row.get('cpu_us_per_req'))} |"
    )


def render_deploy(deploy: Mapping[str, Any] | None) -> list[str]:
    """The deploy section (bench/deploy.py) as a Markdown table."""
    if not deploy:
        return []
    lines = [
        "",
        f"## Deployment: `{deploy.get('playbook', '?')}` on the same container",
        "",
        "Host calls: the commands Ansible ran in the container (`docker exec`, counted by the"
        " Docker daemon): one per module call, one per file transfer. Tasks run: ok + failed of"
        " the play recap (changed ones are among them).",
        "",
        "| Run | What | Wall s | Host calls | Tasks run | Changed |",
        "|---|---|---:|---:|---:|---:|",
    ]
    row = "| {prefix}{name} | {description} | {wall} | {calls} | {tasks_run} | {changed} |".format
    lines += [
        row(prefix="", wall=_fmt(step["wall_s"], 1), calls=_fmt(step.get("host_calls")), **step)
        for step in deploy.get("steps", [])
    ]
    peer = deploy.get("peer")
    if peer:
        lines += [
            row(
                prefix="peer ",
                wall=_fmt(step["wall_s"], 1),
                calls=_fmt(step.get("host_calls")),
                **step,
            )
            for step in peer.get("steps", [])
        ]
        lines += [
            "",
            f"Peer: `{peer.get('playbook', '?')}` ({peer.get('what', '')}) in a second container"
            " from the same image, run right after the rows above. No-change re-run of"
            f" site.yml vs the peer's: **{_fmt(no_change_vs_peer(deploy), 2)}x** (issue 12's goal:"
            " ≤ 0.5x).",
        ]
    return lines


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


DYNAMIC_TITLE = "Dynamic page"
P99_TITLE = "p99 latency, dynamic page"


@dataclass(frozen=True)
class Series:
    """One server's medians of a metric by concurrency, with the min and max of each."""

    xs: list[int]
    ys: list[float]
    lows: list[float]
    highs: list[float]

    def yerr(self) -> list[list[float]]:
        """Error bar lengths below and above each median (matplotlib's yerr)."""
        return [
            [max(y - lo, 0.0) for y, lo in zip(self.ys, self.lows, strict=True)],
            [max(hi - y, 0.0) for y, hi in zip(self.ys, self.highs, strict=True)],
        ]


def series(
    summary: Mapping[str, Mapping[str, Any]], server: str, concurrencies: Sequence[int], metric: str
) -> Series:
    """The dynamic-page series of a server; a missing min or max falls back to the median."""
    points = Series([], [], [], [])
    for c in concurrencies:
        row = summary.get(f"dynamic/{server}/c{c}", {})
        value = row.get(metric)
        if value is None:
            continue
        low, high = row.get(f"{metric}_min"), row.get(f"{metric}_max")
        points.xs.append(c)
        points.ys.append(value)
        points.lows.append(value if low is None else low)
        points.highs.append(value if high is None else high)
    return points


def ceiling_off_scale(ceiling: float | None, server_top: float | None) -> bool:
    """Whether the in-process ceiling is so far above the servers that it would squash them."""
    if ceiling is None or not server_top:
        return False
    return ceiling > CEILING_OFF_SCALE * server_top


def _plot_by_concurrency(
    ax: Any, summary: Mapping[str, Mapping[str, Any]], concurrencies: Sequence[int], metric: str
) -> float | None:
    """Each server's medians with min-max error bars; the highest value drawn, None if none."""
    top: float | None = None
    for server in SERVERS:
        points = series(summary, server, concurrencies, metric)
        if not points.xs:
            continue
        ax.errorbar(
            points.xs,
            points.ys,
            yerr=points.yerr(),
            marker="o",
            capsize=3,
            label=SERVER_LABELS[server],
            color=COLORS[server],
        )
        top = max(top or 0.0, *points.highs)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(concurrencies), [str(c) for c in concurrencies])
    ax.set_xlabel("concurrent connections")
    return top


def _plot_dynamic(
    ax: Any, summary: Mapping[str, Mapping[str, Any]], concurrencies: Sequence[int]
) -> None:
    """Dynamic req/s by concurrency; the in-process ceiling as a line, or as a note when it is
    far above the servers (so that they do not sit at the bottom of the panel)."""
    top = _plot_by_concurrency(ax, summary, concurrencies, "rps")
    ceiling = summary.get("ceiling/inprocess", {}).get("rps")
    off_scale = ceiling_off_scale(ceiling, top)
    if off_scale and top is not None:
        ax.set_ylim(0, HEADROOM * top)
        # Top right: the medians there are at most 1/HEADROOM of the height. The legend goes top
        # left, where the lowest concurrency's req/s are.
        ax.text(
            0.98,
            0.97,
            f"in-process ceiling: {ceiling:,.0f} req/s, off scale",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color=COLORS["inprocess"],
        )
    else:
        if ceiling is not None:
            ax.axhline(
                ceiling,
                linestyle="--",
                color=COLORS["inprocess"],
                label="in-process ceiling (cores / CPU per call)",
            )
        ax.set_ylim(bottom=0)
    ax.set_ylabel(f"requests/s (median, bars: min{EN_DASH}max)")
    ax.set_title(DYNAMIC_TITLE)
    ax.legend(fontsize=8, loc="upper left" if off_scale else "best")


def _plot_p99(
    ax: Any, summary: Mapping[str, Mapping[str, Any]], concurrencies: Sequence[int]
) -> None:
    """p99 latency of the dynamic page by concurrency, log scale."""
    if _plot_by_concurrency(ax, summary, concurrencies, "p99_ms") is None:
        ax.set_visible(False)
        return
    ax.set_yscale("log")
    ax.set_ylabel(f"p99 ms (median, bars: min{EN_DASH}max; lower is better)")
    ax.set_title(P99_TITLE)
    ax.legend(fontsize=8)


CPU_TITLE = f"CPU per dynamic request by process, c={BOUND_C} (lower is better)"
# Colours of the parts stacked on a server's own colour (the app server's part).
PART_COLORS = {"nginx": "#9467bd", "journald": "#bcbd22"}


def cpu_stack(row: Mapping[str, Any]) -> dict[str, float]:
    """The parts of a case's CPU per request (CPU_PARTS) to stack; a case without them (the
    in-process ceiling, a bench.json from before the split) is its total as one part."""
    parts = {part: row.get(f"cpu_{part}_us_per_req") for part in CPU_PARTS}
    if all(value is None for value in parts.values()):
        return {"app_server": float(row.get(CPU_PER_REQ) or 0.0)}
    return {part: float(value or 0.0) for part, value in parts.items()}


def _plot_cpu(ax: Any, summary: Mapping[str, Mapping[str, Any]]) -> None:
    """CPU per dynamic request at c=64, each bar stacked by process, the app in-process last."""
    ids = [(s, f"dynamic/{s}/c{BOUND_C}") for s in SERVERS] + [("inprocess", "ceiling/inprocess")]
    present = [(s, summary[i]) for s, i in ids if summary.get(i, {}).get(CPU_PER_REQ)]
    if not present:
        ax.set_visible(False)
        return
    xs = list(range(len(present)))
    stacks = [cpu_stack(row) for _, row in present]
    bottoms = [0.0] * len(present)
    stacked = False
    for part in CPU_PARTS:
        heights = [stack.get(part, 0.0) for stack in stacks]
        if not any(heights):
            continue
        colors = [COLORS[s] for s, _ in present] if part == "app_server" else PART_COLORS[part]
        label = None if part == "app_server" else CPU_PART_LABELS[part]
        ax.bar(xs, heights, bottom=bottoms, color=colors, label=label)
        stacked = stacked or label is not None
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    for x, (_, row) in zip(xs, present, strict=True):
        total = row[CPU_PER_REQ]
        ax.annotate(f"{total:,.0f}", (x, total), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(xs, [_tick(s) for s, _ in present])
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylabel("server CPU µs per request (median)")
    ax.set_title(CPU_TITLE)
    if stacked:
        ax.legend(fontsize=8, title="on top of the server's own", title_fontsize=8)


def plot(
    summary: Mapping[str, Mapping[str, Any]],
    concurrencies: Sequence[int],
    path: Path,
    title: str,
    deploy: Mapping[str, Any] | None = None,
) -> dict[str, tuple[float, float]]:
    """Six panels: dynamic req/s and p99 by concurrency, static, slow clients, CPU per request,
    and the deploy section's run times. Returns the y-limits of the drawn panels by title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(19, 9))
    _plot_dynamic(axes[0][0], summary, concurrencies)

    def bars(ax: Any, ids: list[tuple[str, str]], metric: str, ylabel: str, ttl: str) -> None:
        present = [(s, summary[i][metric]) for s, i in ids if summary.get(i, {}).get(metric)]
        if not present:
            ax.set_visible(False)
            return
        names = [_tick(s) for s, _ in present]
        values = [v for _, v in present]
        ax.bar(names, values, color=[COLORS[s] for s, _ in present])
        for i, v in enumerate(values):
            ax.annotate(f"{v:,.0f}", (i, v), ha="center", va="bottom", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.set_title(ttl)
        ax.tick_params(axis="x", labelsize=8)

    bars(
        axes[0][1],
        [(s, f"static/{s}/c16") for s in SERVERS],
        "rps",
        "requests/s (median)",
        "100 KB static file, 16 connections",
    )

    ax = axes[1][0]
    base = [summary.get(f"dynamic/{s}/c16", {}).get("rps") for s in SERVERS]
    slow = [summary.get(f"slow/{s}/c16", {}).get("rps") for s in SERVERS]
    if any(v is not None for v in slow):
        xs = range(len(SERVERS))
        ax.bar([x - 0.2 for x in xs], [v or 0 for v in base], 0.4, label="no slow clients")
        ax.bar([x + 0.2 for x in xs], [v or 0 for v in slow], 0.4, label="with slow clients")
        for x, v in zip(xs, slow, strict=True):
            if v == 0:
                ax.annotate("no answer", (x + 0.2, 0), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(list(xs), [_tick(s) for s in SERVERS])
        ax.tick_params(axis="x", labelsize=8)
        ax.set_ylabel("requests/s (median)")
        ax.set_title("Dynamic page c=16 while slow clients hold connections")
        ax.legend(fontsize=8)
    else:
        ax.set_visible(False)

    _plot_cpu(axes[1][1], summary)

    ax = axes[0][2]
    peer_steps = ((deploy or {}).get("peer") or {}).get("steps", [])
    steps = (deploy or {}).get("steps", []) + [
        {**step, "name": f"peer {step['name']}"} for step in peer_steps
    ]
    if steps:
        names = [step["name"] for step in steps]
        colors = ["#ff7f0e" if name.startswith("peer ") else "#1f77b4" for name in names]
        ax.bar(names, [step["wall_s"] for step in steps], color=colors)
        ax.tick_params(axis="x", labelsize=8)
        for i, step in enumerate(steps):
            label = (
                f"{step['wall_s']:.0f} s\n{_fmt(step.get('host_calls'))} host calls\n"
                f"{step['tasks_run']} tasks, {step['changed']} changed"
            )
            ax.annotate(label, (i, step["wall_s"]), ha="center", va="bottom", fontsize=8)
        ax.set_ylabel("wall-clock seconds")
        ax.set_title(f"{deploy.get('playbook', 'site.yml')} runs (lower is better)")
        ax.margins(y=0.2)
    else:
        ax.set_visible(False)
    _plot_p99(axes[1][2], summary, concurrencies)

    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    limits = {ax.get_title(): ax.get_ylim() for row in axes for ax in row if ax.get_visible()}
    plt.close(fig)
    return limits


def main(argv: Sequence[str] | None = None) -> None:
    """Write bench.md and bench.png again from a bench.json (`python -m bench.report FILE`)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("json_file", type=Path)
    args = parser.parse_args(argv)
    data = json.loads(args.json_file.read_text())
    summary, meta = data["summary"], data["meta"]
    concurrencies = meta.get("concurrencies", [1, 16, 64, 256])
    ratios = compute_ratios(summary, concurrencies, cpus=meta.get("cpus"))
    out = args.json_file.parent
    (out / "bench.md").write_text(render_markdown(summary, ratios, meta))
    plot(
        summary,
        concurrencies,
        out / "bench.png",
        f"flaskstack sample app, {meta.get('cpus', '?')} CPU(s), medians of "
        f"{meta.get('repeats', '?')} round(s)",
        meta.get("deploy"),
    )


if __name__ == "__main__":
    main()
