"""`make bench` internals that need no container: wrk output parsing, medians and ratios.

The wrk outputs below are real, captured from Debian's wrk 4.1.0 in the bench container.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import deploy, report
from bench.run import Case, all_cases
from bench.servers import without_bind
from bench.wrk import WrkParseError, parse_wrk, to_ms

WRK_OK = """\
Running 2s test @ https://app.flaskstack.test:443/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.93ms    7.41ms  60.29ms   86.82%
    Req/Sec     1.17k   276.65     1.58k    75.00%
  Latency Distribution
     50%    5.79ms
     75%   10.85ms
     90%   17.37ms
     99%   35.85ms
  4663 requests in 2.02s, 6.31MB read
Requests/sec:   2311.49
Transfer/sec:      3.13MB
"""

WRK_NON_2XX = """\
Running 2s test @ https://app.flaskstack.test:443/nope
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    13.78ms   21.11ms 244.02ms   91.36%
    Req/Sec     0.91k   352.54     1.34k    75.00%
  Latency Distribution
     50%    7.00ms
     75%   14.79ms
     90%   30.57ms
     99%  109.65ms
  3653 requests in 2.04s, 3.63MB read
  Non-2xx or 3xx responses: 3653
Requests/sec:   1789.24
Transfer/sec:      1.78MB
"""

WRK_TIMEOUTS = """\
Running 3s test @ http://plain.flaskstack.test:80/slow?ms=1200
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     1.00      0.00     1.00    100.00%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  8 requests in 3.01s, 1.54KB read
  Socket errors: connect 0, read 0, write 0, timeout 8
Requests/sec:      2.66
Transfer/sec:     523.42B
"""

# A Gunicorn whose only worker is held by slow clients: no answer at all, and no error either.
WRK_STARVED = """\
Running 3s test @ http://127.0.0.1:8001/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     0.00us    0.00us   0.00us    -nan%
    Req/Sec     0.00      0.00     0.00      -nan%
  Latency Distribution
     50%    0.00us
     75%    0.00us
     90%    0.00us
     99%    0.00us
  0 requests in 3.09s, 0.00B read
Requests/sec:      0.00
Transfer/sec:       0.00B
"""


def test_parse_ok() -> None:
    result = parse_wrk(WRK_OK)
    assert result.requests == 4663
    assert result.duration_s == pytest.approx(2.02)
    assert result.rps == pytest.approx(2311.49)
    assert result.p50_ms == pytest.approx(5.79)
    assert result.p99_ms == pytest.approx(35.85)
    assert result.errors == 0
    assert result.as_dict()["errors"] == 0


def test_parse_counts_non_2xx_as_errors() -> None:
    result = parse_wrk(WRK_NON_2XX)
    assert result.non_2xx_3xx == 3653
    assert result.errors == 3653


def test_parse_counts_socket_errors_and_microseconds() -> None:
    result = parse_wrk(WRK_TIMEOUTS)
    assert result.timeouts == 8
    assert result.connect_errors == result.read_errors == result.write_errors == 0
    assert result.errors == 8
    assert result.p99_ms == 0.0
    assert result.rps == pytest.approx(2.66)


def test_parse_starved_server() -> None:
    result = parse_wrk(WRK_STARVED)
    assert result.requests == 0
    assert result.rps == 0.0
    assert result.errors == 0  # wrk reports nothing: the bench must look at requests/s


@pytest.mark.parametrize(
    ("value", "unit", "ms"),
    [("250", "us", 0.25), ("1.5", "ms", 1.5), ("2", "s", 2000.0), ("1", "m", 60000.0)],
)
def test_time_units(value: str, unit: str, ms: float) -> None:
    assert to_ms(value, unit) == pytest.approx(ms)


def test_parse_rejects_other_output() -> None:
    with pytest.raises(WrkParseError):
        parse_wrk("unable to connect to 127.0.0.1:81 Connection refused\n")
    without_latency = "\n".join(
        line for line in WRK_OK.splitlines() if "%" not in line or "Latency " in line
    )
    with pytest.raises(WrkParseError, match="--latency"):
        parse_wrk(without_latency)


def test_median_ignores_missing_values() -> None:
    assert report.median([3, None, 1, 2]) == 2
    assert report.median([None, float("nan")]) is None
    assert report.median([]) is None


def test_summarize_takes_medians() -> None:
    runs = {
        "dynamic/dev/c16": [
            {"rps": 900.0, "p99_ms": 30.0, "errors": 0, "cpu_us_per_req": 800.0},
            {"rps": 1100.0, "p99_ms": 10.0, "errors": 2, "cpu_us_per_req": 700.0},
            {"rps": 1000.0, "p99_ms": 20.0, "errors": 0, "cpu_us_per_req": 900.0},
        ]
    }
    row = report.summarize(runs)["dynamic/dev/c16"]
    assert row == {
        "runs": 3,
        "rps": 1000.0,
        "p99_ms": 20.0,
        "errors": 0,
        "cpu_us_per_req": 800.0,
        "stalls": 0,
        "rps_min": 900.0,
        "rps_max": 1100.0,
        "p99_ms_min": 10.0,
        "p99_ms_max": 30.0,
    }


def _ratios(summary: dict[str, dict[str, float]]) -> dict[str, float | None]:
    return {r.name: r.value for r in report.compute_ratios(summary, (16,))}


def test_ratios() -> None:
    summary = {
        "dynamic/dev/c16": {"rps": 1000.0, "cpu_us_per_req": 800.0},
        "dynamic/gunicorn/c16": {"rps": 2000.0},
        "dynamic/stack-https/c16": {"rps": 3000.0, "cpu_us_per_req": 600.0},
        "static/dev/c16": {"rps": 800.0, "cpu_us_per_req": 900.0},
        "static/stack-http/c16": {"rps": 20000.0},
        "static/stack-https/c16": {"rps": 8000.0, "cpu_us_per_req": 60.0},
        "slow/gunicorn/c16": {"rps": 0.0},
        "slow/stack-https/c16": {"rps": 2700.0},
        "ceiling/inprocess": {"rps": 6000.0, "cpu_us_per_req": 300.0},
        "tls/full": {"rps": 300.0, "cpu_us_per_req": 400.0},
        "tls/resumed": {"rps": 900.0, "cpu_us_per_req": 100.0},
    }
    ratios = _ratios(summary)
    assert ratios["stack HTTPS vs dev server, dynamic c=16 (req/s)"] == pytest.approx(3.0)
    assert ratios["stack HTTPS vs Gunicorn direct, dynamic c=16 (req/s)"] == pytest.approx(1.5)
    assert ratios[
        "Nginx static vs Flask static, 100 KB file, both plain HTTP (req/s)"
    ] == pytest.approx(25.0)
    assert ratios[
        "Nginx static over HTTPS vs Flask static over HTTP, 100 KB file (req/s)"
    ] == pytest.approx(10.0)
    assert ratios[
        "Flask static vs Nginx static, 100 KB file (server CPU per request)"
    ] == pytest.approx(15.0)
    assert ratios["slow-client impact on Gunicorn direct (HTTP) (req/s kept)"] == 0.0
    assert ratios["slow-client impact on Nginx → Gunicorn (HTTPS) (req/s kept)"] == pytest.approx(
        0.9
    )
    # Cases that did not run give no ratio rather than a wrong one.
    assert ratios["slow-client impact on Flask dev server (req/s kept)"] is None
    assert ratios["deployed (best stack HTTPS) vs in-process ceiling (req/s)"] == pytest.approx(0.5)
    assert ratios["in-process ceiling vs deployed HTTPS, c=16 (CPU per request)"] == pytest.approx(
        0.5
    )
    assert ratios["TLS 1.2 resumed vs full handshakes (handshakes/s)"] == pytest.approx(3.0)
    assert ratios["TLS 1.2 full vs resumed handshakes (Nginx CPU per handshake)"] == pytest.approx(
        4.0
    )


def test_ratio_with_zero_denominator_is_none() -> None:
    ratios = _ratios({"dynamic/dev/c16": {"rps": 0.0}, "dynamic/stack-https/c16": {"rps": 5.0}})
    assert ratios["stack HTTPS vs dev server, dynamic c=16 (req/s)"] is None


def test_markdown_has_every_case_and_ratio() -> None:
    summary = report.summarize(
        {
            "dynamic/stack-https/c16": [{"rps": 2311.49, "p50_ms": 5.79, "p99_ms": 35.85}],
            "slow/gunicorn/c16": [{"rps": 0.0, "errors": 0}],
        }
    )
    ratios = report.compute_ratios(summary, (16,))
    text = report.render_markdown(summary, ratios, {"repeats": 1, "duration_s": 2})
    assert "| `dynamic/stack-https/c16` | Nginx → Gunicorn (HTTPS) |" in text
    assert "2,311" in text
    assert "no answer" in text
    assert all(r.name in text for r in ratios)
    assert not any(math.isnan(v) for v in summary["dynamic/stack-https/c16"].values())


def test_case_ids_are_unique_and_cover_the_issue() -> None:
    ids = [c.id for c in all_cases()]
    assert len(ids) == len(set(ids))
    for c in (16, 64, 256):
        for server in ("dev", "gunicorn", "stack-https"):
            assert f"dynamic/{server}/c{c}" in ids
            # Issue 33: the I/O page at 16/64/256 connections beside the CPU page.
            assert f"io/{server}/c{c}" in ids
    # Dropped to fit issue 33's cases in the budget (bench/README.md): c=1, and the stack over
    # plain HTTP everywhere but the CPU page at c=64 and the static files.
    assert "dynamic/stack-http/c64" in ids
    assert not [i for i in ids if i.endswith("/c1") or i.startswith(("dynamic/stack-http/c1",))]
    assert {f"mixed/{s}/c64" for s in ("dev", "gunicorn", "stack-https")} <= set(ids)
    assert {f"assets/{s}/c16" for s in ("stack-http", "stack-onthefly", "whitenoise")} <= set(ids)
    assert {"static/stack-https/c16", "static/dev/c16", "slow/gunicorn/c16"} <= set(ids)
    assert {"tls/full", "tls/resumed", "ceiling/inprocess"} <= set(ids)
    assert Case("tls", "stack-https", mode="full").id == "tls/full"


def test_without_bind() -> None:
    argv = ["gunicorn", "-c", "/etc/g.py", "-b", "unix:/a", "--bind=x", "--bind", "y", "-bz", "m:a"]
    assert without_bind(argv) == ["gunicorn", "-c", "/etc/g.py", "m:a"]


# --- the deploy section (bench/deploy.py) ----------------------------------------------------

RECAP_TWO_HOSTS = """
PLAY RECAP *********************************************************************
flaskstack-bench : ok=93   changed=0    unreachable=0    failed=0    skipped=61   rescued=0
other            : ok=7    changed=2    unreachable=0    failed=1    skipped=3    rescued=0
"""


def test_parse_recap_sums_the_hosts_of_the_last_recap() -> None:
    text = (
        "PLAY RECAP ***\nold : ok=1 changed=1 unreachable=0 failed=0 skipped=0\n" + RECAP_TWO_HOSTS
    )
    assert deploy.parse_recap(text) == {
        "ok": 100,
        "changed": 2,
        "unreachable": 0,
        "failed": 1,
        "skipped": 64,
    }


def test_parse_recap_without_a_recap_is_an_error() -> None:
    with pytest.raises(deploy.DeployError):
        deploy.parse_recap("ERROR! the playbook could not be found")


def test_deploy_section_renders_every_step() -> None:
    steps = [
        {
            "name": n,
            "description": d,
            "wall_s": w,
            "host_calls": h,
            "tasks_run": t,
            "changed": c,
            "skipped": 0,
        }
        for n, d, w, h, t, c in (
            ("first", "first converge", 120.4, 160, 150, 80),
            ("no-change", "the same run again", 12.3, 19, 93, 0),
            ("redeploy", "code-only change", 40.0, 45, 120, 12),
        )
    ]
    text = "\n".join(report.render_deploy({"playbook": "playbooks/site.yml", "steps": steps}))
    assert "| no-change | the same run again | 12.3 | 19 | 93 | 0 |" in text
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ")]
    assert rows[1:] == list(deploy.STEP_NAMES)
    assert report.render_deploy(None) == []


def _step(name: str, wall: float, calls: int = 20) -> dict[str, object]:
    return {
        "name": name,
        "description": name,
        "wall_s": wall,
        "host_calls": calls,
        "tasks_run": 30,
        "changed": 0,
        "skipped": 0,
    }


def test_deploy_section_puts_the_peer_next_to_site_yml() -> None:
    data = {
        "playbook": "playbooks/site.yml",
        "steps": [_step("first", 50.0), _step("no-change", 13.0), _step("redeploy", 22.0)],
        "peer": {
            "playbook": "bench/peer/site.yml",
            "what": "geerlingguy.nginx",
            "steps": [_step("first", 30.0), _step("no-change", 10.0, 21)],
        },
    }
    assert deploy.no_change_vs_peer(data) == pytest.approx(1.3)
    text = "\n".join(report.render_deploy(data))
    assert "| peer no-change | no-change | 10.0 | 21 | 30 | 0 |" in text
    assert "**1.30x**" in text
    # No peer (a smoke run), or a peer without its no-change step: no ratio, never a crash.
    assert deploy.no_change_vs_peer({"steps": data["steps"]}) is None
    assert deploy.no_change_vs_peer({**data, "peer": {"steps": [_step("first", 30.0)]}}) is None
    assert deploy.no_change_vs_peer(None) is None


def test_cores_is_a_number_the_report_can_multiply() -> None:
    # nproc prints text; the c=64 bound is cores x a ratio (a string there crashed `make bench`).
    from bench import report
    from bench.servers import cores

    assert cores("2\n") == 2
    assert cores("") is None
    summary = {
        "dynamic/dev/c64": {"rps": 1000.0, "cpu_us_per_req": 1100.0},
        "dynamic/stack-https/c64": {"rps": 3000.0, "cpu_us_per_req": 600.0},
    }
    ratios = {r.name: r.value for r in report.compute_ratios(summary, (64,), cpus=cores("2"))}
    assert ratios[report.BOUND] == 2 * 1100.0 / 600.0


def test_host_calls_count_the_exec_starts_of_the_event_stream() -> None:
    events = "exec_start: /bin/sh -c 'python3 && sleep 0'\nexec_start: true \n\n"
    assert deploy.count_exec_starts(events) == 2
    assert deploy.count_exec_starts("") == 0


def test_smoke_check_fails_a_deploy_step_without_host_calls(tmp_path: Path) -> None:
    from bench import run

    written = tmp_path / "bench.json"
    written.write_text("{}")
    steps = [{"name": name, "host_calls": 6, "changed": 0} for name in deploy.STEP_NAMES]
    row = {"rps": 100.0, "errors": 0, "cpu_us_per_req": 500.0}
    assert run.smoke_check({"case": row}, [written], {"steps": steps}) == 0
    steps[1]["host_calls"] = 0
    assert run.smoke_check({"case": row}, [written], {"steps": steps}) == 1


def test_smoke_check_fails_a_no_change_run_that_changes_or_reads_more(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench import run

    written = tmp_path / "bench.json"
    written.write_text("{}")
    row = {"rps": 100.0, "errors": 0, "cpu_us_per_req": 500.0}

    def check(**no_change: int) -> int:
        steps = [
            {"name": "first", "host_calls": 187, "changed": 35},
            {"name": "no-change", "host_calls": 7, "changed": 0, **no_change},
            {"name": "redeploy", "host_calls": 47, "changed": 11},
        ]
        return run.smoke_check({"case": row}, [written], {"steps": steps})

    assert check() == 0
    assert check(host_calls=run.NO_CHANGE_HOST_CALLS + 1) == 1
    assert "8 host calls (0 changed and at most 7 host calls expected)" in capsys.readouterr().err
    assert check(changed=1) == 1
    assert "deploy no-change: 1 changed" in capsys.readouterr().err


def test_markdown_lists_the_cases_in_the_order_a_run_measures_them() -> None:
    # bench.json keeps its keys sorted: `python -m bench.report` must still print the run's order.
    ids = [case.id for case in all_cases()]
    summary = {case_id: {"rps": 1.0} for case_id in sorted(ids)}
    text = report.render_markdown(summary, [], {})
    listed = [line.split("`")[1] for line in text.splitlines() if line.startswith("| `")]
    assert listed == ids
