"""Medians, ratios and the three outputs of `make bench`: bench.json, bench.md, bench.png."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_LABELS = {
    "dev": "Flask dev server",
    "gunicorn": "Gunicorn direct (HTTP)",
    "stack-http": "Nginx → Gunicorn (HTTP)",
    "stack-https": "Nginx → Gunicorn (HTTPS)",
    "inprocess": "In-process (no network)",
}
SERVER_ORDER = ["dev", "gunicorn", "stack-http", "stack-https", "inprocess"]
COLORS = {
    "dev": "#d62728",
    "gunicorn": "#ff7f0e",
    "stack-http": "#1f77b4",
    "stack-https": "#2ca02c",
    "inprocess": "#7f7f7f",
}
# Median fields of a case (absent ones are simply left out).
METRICS = ("rps", "rps_measured", "p50_ms", "p99_ms", "errors", "cpu_us_per_req", "held")


@dataclass(frozen=True)
class Ratio:
    """One headline ratio: numerator case / denominator case for a metric."""

    name: str
    value: float | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "detail": self.detail}


def median(values: Iterable[float | int | None]) -> float | None:
    """Median of the values that are real numbers; None when there are none."""
    real = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    return statistics.median(real) if real else None


def summarize(runs: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per case id: the median of every metric over its runs, and the number of runs."""
    summary: dict[str, dict[str, Any]] = {}
    for case_id, case_runs in runs.items():
        row: dict[str, Any] = {"runs": len(case_runs)}
        for metric in METRICS:
            if any(metric in r for r in case_runs):
                row[metric] = median(r.get(metric) for r in case_runs)
        summary[case_id] = row
    return summary


def _div(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b == 0:
        return None
    return a / b


def compute_ratios(
    summary: Mapping[str, Mapping[str, Any]], concurrencies: Sequence[int]
) -> list[Ratio]:
    """The ratios the issue asks for; a ratio whose cases did not run has value None."""

    def rps(case_id: str) -> float | None:
        return summary.get(case_id, {}).get("rps")

    def cpu(case_id: str) -> float | None:
        return summary.get(case_id, {}).get("cpu_us_per_req")

    ratios: list[Ratio] = []
    for c in concurrencies:
        ratios.append(
            Ratio(
                f"stack HTTPS vs dev server, dynamic c={c} (req/s)",
                _div(rps(f"dynamic/stack-https/c{c}"), rps(f"dynamic/dev/c{c}")),
                f"dynamic/stack-https/c{c} ÷ dynamic/dev/c{c}",
            )
        )
    for c in concurrencies:
        ratios.append(
            Ratio(
                f"stack HTTPS vs Gunicorn direct, dynamic c={c} (req/s)",
                _div(rps(f"dynamic/stack-https/c{c}"), rps(f"dynamic/gunicorn/c{c}")),
                f"dynamic/stack-https/c{c} ÷ dynamic/gunicorn/c{c}",
            )
        )
    ratios.append(
        Ratio(
            "Nginx static vs Flask static, 100 KB file (req/s)",
            _div(rps("static/stack-https/c16"), rps("static/dev/c16")),
            "static/stack-https/c16 ÷ static/dev/c16",
        )
    )
    ratios.append(
        Ratio(
            "Flask static vs Nginx static, 100 KB file (server CPU per request)",
            _div(cpu("static/dev/c16"), cpu("static/stack-https/c16")),
            "cpu(static/dev/c16) ÷ cpu(static/stack-https/c16)",
        )
    )
    for server in ("dev", "gunicorn", "stack-http", "stack-https"):
        ratios.append(
            Ratio(
                f"slow-client impact on {SERVER_LABELS[server]} (req/s kept)",
                _div(rps(f"slow/{server}/c16"), rps(f"dynamic/{server}/c16")),
                f"slow/{server}/c16 ÷ dynamic/{server}/c16 (1.0 = unaffected)",
            )
        )
    best_stack = max(
        (v for c in concurrencies if (v := rps(f"dynamic/stack-https/c{c}")) is not None),
        default=None,
    )
    ratios.append(
        Ratio(
            "deployed (best stack HTTPS) vs in-process ceiling (req/s)",
            _div(best_stack, rps("ceiling/inprocess")),
            "max over c of dynamic/stack-https ÷ ceiling/inprocess",
        )
    )
    ratios.append(
        Ratio(
            "in-process ceiling vs deployed HTTPS, c=16 (CPU per request)",
            _div(cpu("ceiling/inprocess"), cpu("dynamic/stack-https/c16")),
            "cpu(ceiling/inprocess) ÷ cpu(dynamic/stack-https/c16): the share of CPU the app uses",
        )
    )
    ratios.append(
        Ratio(
            "TLS 1.2 resumed vs full handshakes (handshakes/s)",
            _div(rps("tls/resumed"), rps("tls/full")),
            "tls/resumed ÷ tls/full (one client, so client cost is included)",
        )
    )
    ratios.append(
        Ratio(
            "TLS 1.2 full vs resumed handshakes (Nginx CPU per handshake)",
            _div(cpu("tls/full"), cpu("tls/resumed")),
            "cpu(tls/full) ÷ cpu(tls/resumed)",
        )
    )
    return ratios


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


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
    load = {
        "dynamic": f"dynamic page, {conns}",
        "static": f"100 KB static file, {conns}",
        "slow": f"dynamic page, {conns} + slow clients",
    }[kind]
    return SERVER_LABELS[server], load


def render_markdown(
    summary: Mapping[str, Mapping[str, Any]], ratios: Sequence[Ratio], meta: Mapping[str, Any]
) -> str:
    lines = [
        "# Benchmark: the sample app served five ways",
        "",
        f"Run {meta.get('started', '?')} on {meta.get('cpus', '?')} CPU(s), "
        f"{meta.get('repeats', '?')} alternating rounds of {meta.get('duration_s', '?')} s per "
        "case; medians. Server CPU is the CPU time of the serving processes (Nginx + Gunicorn "
        "for the stack) divided by the requests they answered.",
        "",
        f"Stack: {meta.get('nginx_version', '?')}; Gunicorn "
        f"{meta.get('gunicorn', {}).get('summary', '?')}.",
        "",
        "## Ratios",
        "",
        "| Ratio | Value |",
        "|---|---:|",
    ]
    lines += [
        f"| {r.name} | {_fmt(r.value, 2)}{'x' if r.value is not None else ''} |" for r in ratios
    ]
    lines += [
        "",
        "## Cases",
        "",
        "| Case | Server | Load | req/s | p50 ms | p99 ms | errors | server CPU µs/req |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for case_id, row in summary.items():
        server, load = describe_case(case_id)
        # wrk counts no error when a server never answers: say so instead of "0".
        errors = "no answer" if row.get("rps") == 0 else _fmt(row.get("errors"))
        lines.append(
            f"| `{case_id}` | {server} | {load} | {_fmt(row.get('rps'))} | "
            f"{_fmt(row.get('p50_ms'), 2)} | {_fmt(row.get('p99_ms'), 2)} | "
            f"{errors} | {_fmt(row.get('cpu_us_per_req'))} |"
        )
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


def render_deploy(deploy: Mapping[str, Any] | None) -> list[str]:
    """The deploy section (bench/deploy.py) as a Markdown table."""
    if not deploy:
        return []
    lines = [
        "",
        f"## Deployment: `{deploy.get('playbook', '?')}` on the same container",
        "",
        "Tasks run: ok + failed of the play recap (changed ones are among them).",
        "",
        "| Run | What | Wall s | Tasks run | Changed |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {step['name']} | {step['description']} | {_fmt(step['wall_s'], 1)} | "
        f"{step['tasks_run']} | {step['changed']} |"
        for step in deploy.get("steps", [])
    ]
    return lines


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def plot(
    summary: Mapping[str, Mapping[str, Any]],
    concurrencies: Sequence[int],
    path: Path,
    title: str,
    deploy: Mapping[str, Any] | None = None,
) -> None:
    """Five panels: dynamic req/s by concurrency, static, slow clients, CPU per request, and the
    deploy section's run times."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(19, 9))
    servers = ["dev", "gunicorn", "stack-http", "stack-https"]

    ax = axes[0][0]
    for server in servers:
        xs, ys = [], []
        for c in concurrencies:
            value = summary.get(f"dynamic/{server}/c{c}", {}).get("rps")
            if value is not None:
                xs.append(c)
                ys.append(value)
        if xs:
            ax.plot(xs, ys, marker="o", label=SERVER_LABELS[server], color=COLORS[server])
    ceiling = summary.get("ceiling/inprocess", {}).get("rps")
    if ceiling is not None:
        ax.axhline(
            ceiling,
            linestyle="--",
            color=COLORS["inprocess"],
            label="in-process ceiling (cores / CPU per call)",
        )
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(concurrencies), [str(c) for c in concurrencies])
    ax.set_xlabel("concurrent connections")
    ax.set_ylabel("requests/s (median)")
    ax.set_title("Dynamic page")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)

    def bars(ax: Any, ids: list[tuple[str, str]], metric: str, ylabel: str, ttl: str) -> None:
        present = [(s, summary[i][metric]) for s, i in ids if summary.get(i, {}).get(metric)]
        if not present:
            ax.set_visible(False)
            return
        names = [SERVER_LABELS[s].replace(" (", "\n(") for s, _ in present]
        values = [v for _, v in present]
        ax.bar(names, values, color=[COLORS[s] for s, _ in present])
        for i, v in enumerate(values):
            ax.annotate(f"{v:,.0f}", (i, v), ha="center", va="bottom", fontsize=8)
        ax.set_ylabel(ylabel)
        ax.set_title(ttl)
        ax.tick_params(axis="x", labelsize=8)

    bars(
        axes[0][1],
        [(s, f"static/{s}/c16") for s in servers],
        "rps",
        "requests/s (median)",
        "100 KB static file, 16 connections",
    )

    ax = axes[1][0]
    base = [summary.get(f"dynamic/{s}/c16", {}).get("rps") for s in servers]
    slow = [summary.get(f"slow/{s}/c16", {}).get("rps") for s in servers]
    if any(v is not None for v in slow):
        xs = range(len(servers))
        ax.bar([x - 0.2 for x in xs], [v or 0 for v in base], 0.4, label="no slow clients")
        ax.bar([x + 0.2 for x in xs], [v or 0 for v in slow], 0.4, label="with slow clients")
        for x, v in zip(xs, slow, strict=True):
            if v == 0:
                ax.annotate("no answer", (x + 0.2, 0), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(list(xs), [SERVER_LABELS[s].replace(" (", "\n(") for s in servers])
        ax.tick_params(axis="x", labelsize=8)
        ax.set_ylabel("requests/s (median)")
        ax.set_title("Dynamic page c=16 while slow clients hold connections")
        ax.legend(fontsize=8)
    else:
        ax.set_visible(False)

    bars(
        axes[1][1],
        [(s, f"dynamic/{s}/c16") for s in servers] + [("inprocess", "ceiling/inprocess")],
        "cpu_us_per_req",
        "server CPU µs per request (median)",
        "CPU per dynamic request, c=16 (lower is better)",
    )

    ax = axes[0][2]
    steps = (deploy or {}).get("steps", [])
    if steps:
        names = [step["name"] for step in steps]
        ax.bar(names, [step["wall_s"] for step in steps], color="#1f77b4")
        for i, step in enumerate(steps):
            label = f"{step['wall_s']:.0f} s\n{step['tasks_run']} tasks, {step['changed']} changed"
            ax.annotate(label, (i, step["wall_s"]), ha="center", va="bottom", fontsize=8)
        ax.set_ylabel("wall-clock seconds")
        ax.set_title(f"{deploy.get('playbook', 'site.yml')} runs (lower is better)")
        ax.margins(y=0.2)
    else:
        ax.set_visible(False)
    axes[1][2].set_visible(False)

    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> None:
    """Write bench.md and bench.png again from a bench.json (`python -m bench.report FILE`)."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("json_file", type=Path)
    args = parser.parse_args(argv)
    data = json.loads(args.json_file.read_text())
    summary, meta = data["summary"], data["meta"]
    concurrencies = meta.get("concurrencies", [1, 16, 64, 256])
    ratios = compute_ratios(summary, concurrencies)
    out = args.json_file.parent
    (out / "bench.md").write_text(render_markdown(summary, ratios, meta))
    plot(
        summary,
        concurrencies,
        out / "bench.png",
        f"flaskstack sample app, {meta.get('cpus', '?')} CPU(s), medians of "
        f"{meta.get('repeats', '?')} round(s)",
    )


if __name__ == "__main__":
    main()
