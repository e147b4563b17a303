"""`make bench` reports that tell the truth: stalled rounds, spreads, the physical bound of the
stack-vs-dev ratio, and a plot whose scale the in-process ceiling does not set."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import report, servers

MEASURED = "stack HTTPS vs dev server, dynamic c=64 (req/s)"
P99 = "stack HTTPS p99 vs dev server p99, dynamic c=64"
# Escapes for the multiplication sign and the en dash, which ruff (RUF001) flags as look-alikes.
BOUND = "bound on stack HTTPS vs dev server at c=64: cores \u00d7 dev CPU ÷ stack CPU"
DASH = "\u2013"
CPU = "stack HTTPS CPU per request vs the app in-process, c=64"

C64 = {
    "dynamic/dev/c64": {"rps": 1000.0, "p99_ms": 200.0, "cpu_us_per_req": 850.0},
    "dynamic/stack-https/c64": {"rps": 2900.0, "p99_ms": 50.0, "cpu_us_per_req": 500.0},
    "ceiling/inprocess": {"rps": 8000.0, "cpu_us_per_req": 250.0},
}


def test_summarize_counts_stalls_and_keeps_the_spread() -> None:
    runs = {
        "dynamic/dev/c64": [
            {"rps": 1000.0, "p99_ms": 40.0, "requests": 10000},
            {"rps": 0.0, "requests": 0},  # no answer at all
            {"rps": 1200.0, "p99_ms": 60.0, "requests": 12000},
            {"rps": None, "p99_ms": 50.0},  # no rate
            {"rps": 5.0, "p99_ms": 30.0, "requests": 0},  # no request answered
        ]
    }
    row = report.summarize(runs)["dynamic/dev/c64"]
    assert row["runs"] == 5
    assert row["stalls"] == 3
    assert (row["rps_min"], row["rps_max"]) == (0.0, 1200.0)
    assert (row["p99_ms_min"], row["p99_ms_max"]) == (30.0, 60.0)


def test_summarize_spread_is_none_without_numbers() -> None:
    row = report.summarize({"tls/full": [{"rps": 300.0}, {"rps": 310.0}]})["tls/full"]
    assert row["stalls"] == 0
    assert (row["rps_min"], row["rps_max"]) == (300.0, 310.0)
    assert row["p99_ms_min"] is None
    assert row["p99_ms_max"] is None


def _ratios(summary: dict[str, dict[str, Any]], cpus: int | None = 2) -> dict[str, float | None]:
    return {r.name: r.value for r in report.compute_ratios(summary, (16, 64), cpus=cpus)}


def test_c64_ratios() -> None:
    ratios = _ratios(C64)
    assert ratios[MEASURED] == pytest.approx(2.9)
    assert ratios[P99] == pytest.approx(0.25)
    assert ratios[BOUND] == pytest.approx(2 * 850.0 / 500.0)
    # Issue 14's goal below Gunicorn's own floor is retired: no such ratio any more.
    assert CPU not in ratios
    # The per-concurrency ratios stay.
    assert "stack HTTPS vs dev server, dynamic c=16 (req/s)" in ratios


@pytest.mark.parametrize("missing", ["dynamic/dev/c64", "dynamic/stack-https/c64"])
def test_c64_ratios_are_none_when_a_case_is_missing(missing: str) -> None:
    summary = {k: v for k, v in C64.items() if k != missing}
    ratios = _ratios(summary)
    assert ratios[P99] is None
    assert ratios[BOUND] is None


def test_c64_ratios_need_cores_and_the_ceiling() -> None:
    ratios = _ratios({k: v for k, v in C64.items() if k != "ceiling/inprocess"}, cpus=None)
    assert ratios[BOUND] is None
    assert ratios[P99] == pytest.approx(0.25)


def test_c64_ratios_only_when_c64_runs() -> None:
    names = {r.name for r in report.compute_ratios(C64, (1, 16), cpus=2)}
    assert not names & {P99, BOUND}


def _names(spec: report.RatioSpec, concurrencies: tuple[int, ...]) -> list[str]:
    """The ratio names a row of the table stands for, written out without RatioSpec.instances."""
    if spec.only_at is not None and spec.only_at not in concurrencies:
        return []
    if spec.over is report.Over.EACH:
        return [spec.name.replace("{c}", str(c)) for c in concurrencies]
    return [spec.name]


@pytest.mark.parametrize("concurrencies", [(1, 16, 64, 256), (16,), (256, 64), ()])
def test_every_row_of_the_table_gives_one_ratio_per_concurrency(
    concurrencies: tuple[int, ...],
) -> None:
    ratios = report.compute_ratios({}, concurrencies, cpus=2)
    expected = [name for spec in report.RATIOS for name in _names(spec, concurrencies)]
    assert [r.name for r in ratios] == expected
    assert len(set(expected)) == len(expected)
    # No case ran: every ratio is None, none is made up.
    assert all(r.value is None for r in ratios)
    assert not any("{c}" in r.name + r.detail for r in ratios)


def test_the_table_drives_the_ratios(monkeypatch: pytest.MonkeyPatch) -> None:
    table = (
        report.RatioSpec(
            "a vs b, c={c}", "rps", "a/c{c}", "b/c{c}", "a/c{c} ÷ b/c{c}", report.Over.EACH
        ),
        report.RatioSpec("best a vs d", "rps", "a/c{c}", "d", "max a ÷ d", report.Over.BEST),
        report.RatioSpec("cores x", "cpu", "a/c2", "b/c2", "bound", only_at=2, times_cpus=True),
    )
    monkeypatch.setattr(report, "RATIOS", table)
    summary = {
        "a/c1": {"rps": 6.0},
        "b/c1": {"rps": 3.0},
        "a/c2": {"rps": 9.0, "cpu": 4.0},
        "b/c2": {"cpu": 8.0},
        "d": {"rps": 3.0},
    }
    assert report.compute_ratios(summary, (1, 2), cpus=4) == [
        report.Ratio("a vs b, c=1", 2.0, "a/c1 ÷ b/c1"),
        report.Ratio("a vs b, c=2", None, "a/c2 ÷ b/c2"),  # b/c2 has no req/s
        report.Ratio("best a vs d", 3.0, "max a ÷ d"),
        report.Ratio("cores x", 2.0, "bound"),
    ]
    assert report.compute_ratios(summary, (1,)) == [
        report.Ratio("a vs b, c=1", 2.0, "a/c1 ÷ b/c1"),
        report.Ratio("best a vs d", 2.0, "max a ÷ d"),
    ]


def test_markdown_puts_the_ratio_next_to_its_bound() -> None:
    summary = report.summarize(
        {
            "dynamic/dev/c64": [
                {"rps": 1000.0, "p99_ms": 200.0, "cpu_us_per_req": 850.0},
                {"rps": 0.0, "requests": 0},
                {"rps": 1100.0, "p99_ms": 300.0, "cpu_us_per_req": 850.0},
            ],
            "dynamic/stack-https/c64": [
                {"rps": 2900.0, "p99_ms": 50.0, "cpu_us_per_req": 500.0},
                {"rps": 2800.0, "p99_ms": 40.0, "cpu_us_per_req": 500.0},
                {"rps": 3000.0, "p99_ms": 60.0, "cpu_us_per_req": 500.0},
            ],
        }
    )
    ratios = report.compute_ratios(summary, (64,), cpus=2)
    text = report.render_markdown(summary, ratios, {"cpus": 2, "repeats": 3})
    assert (
        "At c=64 the stack reached 2.9x the dev server; the 2-core bound is 3.4x (85% of it)."
        in text
    )
    assert "systemd-journald" in text
    assert "stalled rounds" in text
    stack = next(line for line in text.splitlines() if "`dynamic/stack-https/c64`" in line)
    assert f"| 2,900 (2,800{DASH}3,000) |" in stack
    assert f"| 50.00 (40.00{DASH}60.00) |" in stack
    assert "| 0 of 3 |" in stack
    dev = next(line for line in text.splitlines() if "`dynamic/dev/c64`" in line)
    assert f"| 1,000 (0{DASH}1,100) |" in dev
    assert "| 1 of 3 |" in dev


def test_markdown_skips_the_bound_sentence_when_a_value_is_missing() -> None:
    summary = {k: v for k, v in C64.items() if k != "dynamic/dev/c64"}
    ratios = report.compute_ratios(summary, (64,), cpus=2)
    assert "core bound" not in report.render_markdown(summary, ratios, {"cpus": 2})
    ratios = report.compute_ratios(C64, (64,))
    assert "core bound" not in report.render_markdown(C64, ratios, {})


def _case(rps: float, p99: float) -> dict[str, float]:
    return {
        "rps": rps,
        "rps_min": 0.8 * rps,
        "rps_max": 1.1 * rps,
        "p99_ms": p99,
        "p99_ms_min": 0.5 * p99,
        "p99_ms_max": 2 * p99,
    }


def _plot_summary(ceiling: float) -> dict[str, dict[str, float]]:
    summary = {
        f"dynamic/{server}/c{c}": _case(scale * c, 10.0 * c / scale)
        for server, scale in (("dev", 10.0), ("stack-https", 30.0))
        for c in (1, 16, 64)
    }
    summary["ceiling/inprocess"] = {"rps": ceiling, "cpu_us_per_req": 250.0}
    return summary


def test_plot_keeps_the_servers_in_scale_when_the_ceiling_is_far_above(tmp_path: Path) -> None:
    path = tmp_path / "bench.png"
    limits = report.plot(_plot_summary(50_000.0), (1, 16, 64), path, "test")
    assert path.stat().st_size > 0
    top = 1.1 * 30.0 * 64  # highest server value: the top of stack HTTPS's spread at c=64
    assert limits[report.DYNAMIC_TITLE][1] == pytest.approx(1.25 * top)
    assert limits[report.DYNAMIC_TITLE][1] < 50_000.0
    assert report.P99_TITLE in limits


def test_plot_draws_a_ceiling_that_is_near_the_servers(tmp_path: Path) -> None:
    limits = report.plot(_plot_summary(2500.0), (1, 16, 64), tmp_path / "bench.png", "test")
    assert limits[report.DYNAMIC_TITLE][1] > 2500.0


def test_ceiling_off_scale() -> None:
    assert report.ceiling_off_scale(1600.0, 1000.0)
    assert not report.ceiling_off_scale(1500.0, 1000.0)
    assert not report.ceiling_off_scale(None, 1000.0)
    assert not report.ceiling_off_scale(1600.0, None)
    assert not report.ceiling_off_scale(1600.0, 0.0)


def test_cpu_by_part_splits_the_units_of_a_server() -> None:
    cpu_s = {"gunicorn-sample.service": 0.25, servers.NGINX_UNIT: 0.04, servers.JOURNALD_UNIT: 0.0}
    assert servers.cpu_by_part(cpu_s, 1000) == pytest.approx(
        {
            "cpu_app_server_us_per_req": 250.0,
            "cpu_nginx_us_per_req": 40.0,
            "cpu_journald_us_per_req": 0.0,
        }
    )
    # The dev server's unit is the app server's part; a server without Nginx has 0 there.
    direct = servers.cpu_by_part({servers.DEV_UNIT: 0.7, servers.JOURNALD_UNIT: 0.01}, 1000)
    assert direct["cpu_app_server_us_per_req"] == pytest.approx(700.0)
    assert direct["cpu_nginx_us_per_req"] == 0.0
    assert direct["cpu_journald_us_per_req"] == pytest.approx(10.0)
    # Nothing answered: no figure rather than a division by zero.
    assert set(servers.cpu_by_part(cpu_s, 0).values()) == {None}


SPLIT = {
    "dynamic/gunicorn/c64": [
        {"rps": 7000.0, "cpu_us_per_req": 250.0, "cpu_app_server_us_per_req": 250.0}
        | {"cpu_nginx_us_per_req": 0.0, "cpu_journald_us_per_req": 0.0}
    ],
    "dynamic/stack-https/c64": [
        {"rps": 6000.0, "cpu_us_per_req": 300.0, "cpu_app_server_us_per_req": 264.0}
        | {"cpu_nginx_us_per_req": 36.0, "cpu_journald_us_per_req": 0.0},
        {"rps": 6100.0, "cpu_us_per_req": 310.0, "cpu_app_server_us_per_req": 270.0}
        | {"cpu_nginx_us_per_req": 40.0, "cpu_journald_us_per_req": 0.0},
    ],
    "ceiling/inprocess": [{"rps": 14000.0, "cpu_us_per_req": 140.0}],
}


def test_markdown_shows_where_the_cpu_goes_beside_gunicorn_alone() -> None:
    summary = report.summarize(SPLIT)
    ratios = report.compute_ratios(summary, (64,), cpus=2)
    values = {r.name: r.value for r in ratios}
    assert CPU not in values
    assert values[report.GUNICORN_VS_INPROCESS] == pytest.approx(250.0 / 140.0)
    lines = report.render_markdown(summary, ratios, {"cpus": 2}).splitlines()
    assert "## Where the CPU goes: dynamic page, c=64" in lines
    # Medians of each part over the rounds, the total and the total over the app in-process.
    assert "| Nginx → Gunicorn (HTTPS) | 267 | 38 | 0 | 305 | 2.18x |" in lines
    assert "| Gunicorn direct (HTTP) | 250 | 0 | 0 | 250 | 1.79x |" in lines
    assert "| In-process (no network) | 140 | - | - | 140 | 1.00x |" in lines
    # Servers that did not run at c=64 have no row.
    assert not any(line.startswith("| Flask dev server |") for line in lines)


def test_markdown_has_no_cpu_split_without_a_c64_case() -> None:
    summary = report.summarize({"ceiling/inprocess": SPLIT["ceiling/inprocess"]})
    text = report.render_markdown(summary, report.compute_ratios(summary, (16,)), {})
    assert "Where the CPU goes" not in text
    # A run from before the split (total only) shows its total and no made-up parts.
    old = report.summarize({"dynamic/stack-https/c64": [{"cpu_us_per_req": 300.0}]})
    assert "| Nginx → Gunicorn (HTTPS) | - | - | - | 300 | - |" in report.render_cpu_split(old)


def test_cpu_stack_takes_the_parts_or_the_total() -> None:
    row = report.summarize(SPLIT)["dynamic/stack-https/c64"]
    assert report.cpu_stack(row) == {"app_server": 267.0, "nginx": 38.0, "journald": 0.0}
    # The in-process ceiling and cases of a bench.json from before the split: the total alone.
    assert report.cpu_stack({"cpu_us_per_req": 140.0}) == {"app_server": 140.0}


def test_plot_stacks_the_cpu_of_each_process_at_c64(tmp_path: Path) -> None:
    limits = report.plot(report.summarize(SPLIT), (64,), tmp_path / "bench.png", "test")
    # The stack's bar is its parts stacked: the axis reaches its total (305), not one part.
    assert limits[report.CPU_TITLE][1] >= 305.0
    without = {k: v for k, v in SPLIT.items() if k != "dynamic/stack-https/c64"}
    limits = report.plot(report.summarize(without), (64,), tmp_path / "bench.png", "test")
    assert 250.0 <= limits[report.CPU_TITLE][1] < 305.0
