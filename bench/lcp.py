"""LCP in a real browser: headless Chromium loads the sample app's page under load.

Issue 33 makes the case for Nginx in front of Flask with the metric users see: Largest Contentful
Paint. Headless Chromium (Debian's `chromium` and `chromium-driver`, driven with selenium) loads
the sample app's `/` (HTML, CSS, JS and an image) through the stack (https://app.flaskstack.test/)
and through Flask's development server (http://127.0.0.1:5000/) while wrk, in the container,
keeps 64 connections on the I/O page (`/slow?ms=20`) of the same server. Per load it reads the
navigation timing's responseStart (TTFB) and the last 'largest-contentful-paint' entry of a
buffered PerformanceObserver (LCP), both in ms from the navigation's start.

Every load is a cold one: a new WebDriver BiDi user context (a separate browser context, like an
incognito window: its own HTTP cache, connection pool and TLS session cache) per load, so each
load pays what a first visit pays (DNS, TCP, TLS, every asset); a load that shows an asset served
from a cache counts as an error. The browser runs on the host inside the container's network
namespace (`nsenter -n`: chromedriver and Chromium inherit it), so all traffic stays on the
container's loopback like the rest of the bench.

    python -m bench.lcp --container flaskstack-bench [--loads 20]

bench/run.py calls measure() after the wrk cases; format_markdown() renders its result.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.container import BenchError, Container, last_json, prepare_container
from bench.servers import (
    DEV_UNIT,
    Deployment,
    Server,
    discover,
    server_table,
    start_side_servers,
)
from bench.wrk import WrkParseError, parse_wrk

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# As root, in a network namespace with no way out: no sandbox (root), no GPU, no QUIC (Nginx
# serves TCP), and none of the background requests Chromium would otherwise keep retrying.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--ignore-certificate-errors",  # the bench deployment's certificate is self-signed
    "--window-size=1280,800",
)
SERVERS = ("dev", "stack-https")  # the goal compares the stack with the dev server
BASELINE, CANDIDATE = SERVERS
GOAL_RATIO = 0.5  # stack p75 LCP <= 0.5x the dev server's
BACKGROUND_PATH = "/slow?ms=20"  # the I/O page, as in bench/run.py's DB-style cases
BACKGROUND_CONNECTIONS = 64
UNLOADED_LOADS = 3  # cold loads per server with no background load: the page's floor
PAGE_PATH = "/"
PIDFILE = "/run/flaskstack-bench/lcp-wrk.pid"
PAGE_TIMEOUT_S = 15.0

# Runs in the page once the load event has passed: the navigation timing, the last LCP entry
# (buffered, and takeRecords() for any not yet delivered, after two frames so the paint of the
# load's last content is in), and the resources with their transfer sizes (0 = from a cache).
TIMINGS_JS = """
const done = arguments[arguments.length - 1];
const nav = performance.getEntriesByType('navigation')[0] || null;
let last = null;
let observer;
try {
  observer = new PerformanceObserver((list) => {
    const entries = list.getEntries();
    if (entries.length) last = entries[entries.length - 1];
  });
  observer.observe({type: 'largest-contentful-paint', buffered: true});
} catch (err) {
  done({error: 'no LCP support: ' + err});
  return;
}
const finish = () => {
  const pending = observer.takeRecords();
  if (pending.length) last = pending[pending.length - 1];
  observer.disconnect();
  done({
    nav: nav && {
      startTime: nav.startTime, responseStart: nav.responseStart,
      responseEnd: nav.responseEnd, loadEventEnd: nav.loadEventEnd,
      transferSize: nav.transferSize, nextHopProtocol: nav.nextHopProtocol,
      responseStatus: nav.responseStatus === undefined ? null : nav.responseStatus,
    },
    lcp: last && {
      startTime: last.startTime, size: last.size, url: last.url,
      element: last.element ? last.element.tagName.toLowerCase() : null,
    },
    resources: performance.getEntriesByType('resource').map((r) => ({
      name: r.name, transferSize: r.transferSize, duration: r.duration,
    })),
  });
};
requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(finish, 50)));
"""


class LoadError(ValueError):
    """A page load whose timings cannot count (no LCP, a cached asset, an error status...)."""


# --- pure parts: parsing, statistics, verdict, formatting -----------------------------------


def batches(loads: int, rounds: int) -> list[tuple[int, str, int]]:
    """(round, server, loads) for each batch: every server's loads split into rounds, the order
    of the servers alternating from one round to the next (dev, stack, stack, dev, ...)."""
    rounds = max(1, min(rounds, loads))
    plan = []
    for r in range(rounds):
        count = loads // rounds + (1 if r < loads % rounds else 0)
        order = SERVERS if r % 2 == 0 else tuple(reversed(SERVERS))
        plan += [(r + 1, name, count) for name in order]
    return plan


@dataclass(frozen=True)
class Sample:
    """One cold page load, in ms from the navigation's start."""

    ttfb_ms: float
    lcp_ms: float
    protocol: str
    lcp_element: str
    resources: int


def parse_timings(raw: Any) -> Sample:
    """A Sample from what TIMINGS_JS returned; LoadError if the load cannot count."""
    if not isinstance(raw, Mapping):
        raise LoadError(f"the page returned {raw!r}, not timings")
    if raw.get("error"):
        raise LoadError(str(raw["error"]))
    nav, lcp = raw.get("nav"), raw.get("lcp")
    if not isinstance(nav, Mapping):
        raise LoadError("no navigation timing entry")
    if not isinstance(lcp, Mapping):
        raise LoadError("no largest-contentful-paint entry")
    status = nav.get("responseStatus")
    if status not in (None, 0, 200):
        raise LoadError(f"the page answered {status}")
    ttfb = _ms(nav, "responseStart") - _ms(nav, "startTime")
    lcp_ms = _ms(lcp, "startTime") - _ms(nav, "startTime")
    if ttfb <= 0:
        raise LoadError(f"responseStart {ttfb} ms: the page was not fetched")
    if lcp_ms < ttfb:
        raise LoadError(f"LCP {lcp_ms} ms before the first byte ({ttfb} ms)")
    resources = raw.get("resources") or []
    # A cold load fetches everything: a transfer size of 0 means a cache answered.
    cached = [r.get("name", "?") for r in resources if not r.get("transferSize")]
    if not nav.get("transferSize") or cached:
        raise LoadError(f"served from a cache: {cached or ['the page']}")
    return Sample(
        ttfb_ms=ttfb,
        lcp_ms=lcp_ms,
        protocol=str(nav.get("nextHopProtocol") or "?"),
        lcp_element=str(lcp.get("element") or lcp.get("url") or "?"),
        resources=len(resources),
    )


def _ms(entry: Mapping[str, Any], key: str) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LoadError(f"{key} is {value!r}, not a time")
    if value < 0:
        raise LoadError(f"{key} is negative ({value})")
    return float(value)


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The pct-th percentile, linear between the closest ranks (numpy's default); None if empty."""
    if not values:
        return None
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile {pct} is not within 0..100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples: Sequence[Sample], errors: Sequence[str]) -> dict[str, Any]:
    """One server's figures: TTFB and LCP p50/p75 (ms), loads counted, errors."""
    ttfb = [s.ttfb_ms for s in samples]
    lcp = [s.lcp_ms for s in samples]

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "loads": len(samples),
        "errors": len(errors),
        "error_messages": sorted(set(errors))[:5],
        "ttfb_p50_ms": rounded(percentile(ttfb, 50)),
        "ttfb_p75_ms": rounded(percentile(ttfb, 75)),
        "lcp_p50_ms": rounded(percentile(lcp, 50)),
        "lcp_p75_ms": rounded(percentile(lcp, 75)),
        "protocols": sorted({s.protocol for s in samples}),
        "lcp_elements": sorted({s.lcp_element for s in samples}),
    }


def verdict(
    candidate_p75: float | None, baseline_p75: float | None, goal: float = GOAL_RATIO
) -> tuple[float | None, bool | None]:
    """The candidate's p75 LCP over the baseline's, and whether it is within the goal (None:
    not measured)."""
    if candidate_p75 is None or not baseline_p75:
        return None, None
    ratio = candidate_p75 / baseline_p75
    return round(ratio, 3), ratio <= goal


def format_markdown(result: Mapping[str, Any]) -> str:
    """The report's section: a row per server, then the ratio and the goal's verdict."""
    lines = [
        "| server | loads | errors | TTFB p50 ms | TTFB p75 ms | LCP p50 ms | LCP p75 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in result.get("servers", {}).items():
        cells = [_cell(row.get(k)) for k in ("ttfb_p50_ms", "ttfb_p75_ms", "lcp_p50_ms")]
        cells.append(_cell(row.get("lcp_p75_ms")))
        lines.append(f"| {name} | {row['loads']} | {row['errors']} | " + " | ".join(cells) + " |")
    ratio, met = result.get("ratio"), result.get("goal_met")
    goal = f"stack p75 LCP <= {result.get('goal', GOAL_RATIO):g}x the dev server's"
    state = "not measured" if met is None else ("met" if met else "MISSED")
    lines += ["", f"{_cell(ratio, 'x', 2)} stack / dev server, p75 LCP: goal ({goal}) {state}."]
    floors = {
        name: row.get("unloaded_lcp_p50_ms")
        for name, row in result.get("servers", {}).items()
        if row.get("unloaded_lcp_p50_ms") is not None
    }
    if floors:
        shown = ", ".join(f"{name} {_cell(value)} ms" for name, value in floors.items())
        lines += [
            "",
            f"Without the background load ({UNLOADED_LOADS} cold loads each), LCP p50: {shown}: "
            "what rendering this page costs the browser on this machine, the floor under both.",
        ]
    if result.get("method"):
        lines += ["", str(result["method"])]
    return "\n".join(lines) + "\n"


def _cell(value: Any, unit: str = "", digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


# --- the browser, inside the container's network namespace ----------------------------------


def chromium_args(user_data_dir: str, host_map: Sequence[str]) -> list[str]:
    """Chromium's command line: the fixed flags, a new profile, the site names to 127.0.0.1."""
    args = [*CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}"]
    if host_map:
        rules = ", ".join(f"MAP {host} 127.0.0.1" for host in host_map)
        args.append(f"--host-resolver-rules={rules}")
    return args


def browse(url: str, loads: int, host_map: Sequence[str], deadline: float) -> dict[str, Any]:
    """Cold loads of url, each in a new user context: the raw timings and the errors.

    Runs where the servers are reachable (in the container's network namespace): bench.lcp's
    `browse` subcommand. One load first, not counted: the browser's first navigation also starts
    its own machinery (the first renderer and network processes).
    """
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    raw: list[Any] = []
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="flaskstack-lcp-") as profile:
        options = Options()
        options.binary_location = CHROMIUM
        options.enable_bidi = True  # user contexts are a WebDriver BiDi command
        for arg in chromium_args(profile, host_map):
            options.add_argument(arg)
        driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
        try:
            driver.set_page_load_timeout(PAGE_TIMEOUT_S)
            driver.set_script_timeout(PAGE_TIMEOUT_S)
            home = driver.current_window_handle
            for i in range(loads + 1):
                if i and time.monotonic() > deadline:
                    errors.append(f"out of time after {len(raw) + len(errors)} loads")
                    break
                context = driver.browser.create_user_context()
                try:
                    driver.switch_to.window(
                        driver.browsing_context.create(type="tab", user_context=context)
                    )
                    driver.get(url)
                    timings = driver.execute_async_script(TIMINGS_JS)
                    if i:
                        raw.append(timings)
                except WebDriverException as exc:
                    if i:
                        errors.append(exc.msg or type(exc).__name__)
                finally:
                    driver.switch_to.window(home)
                    driver.browser.remove_user_context(context)
        finally:
            driver.quit()
    return {"raw": raw, "errors": errors}


def container_pid(name: str) -> str:
    pid = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Pid}}", name],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    ).stdout.strip()
    if not pid.isdigit() or pid == "0":
        raise BenchError(f"container {name} is not running")
    return pid


# A visitor's browser runs on the visitor's machine, not on the server's cores: here it shares
# the 2 cores with the server and the background load, and a server that answers more requests
# burns more of them, which slowed the browser's own parsing and painting: the stack's p75 LCP
# was 974 ms against the dev server's 353 (2.76x) while Nginx answered the page's static files
# in 0.3 ms p50 / 4.3 ms p99 (wrk, one connection, beside the same background load). `nice -n
# -10` did not help (1,598 vs 367 ms): the container's processes sit in another cgroup, where a
# nice value does not reach. A real-time class does: the browser runs whenever it is runnable
# (the kernel's RT throttling still leaves 5% to the rest), so LCP measures the servers.
BROWSER_PRIORITY = ("chrt", "--fifo", "5")


def browse_in_container(
    box: Container, server: Server, loads: int, timeout: float
) -> dict[str, Any]:
    """Run `python -m bench.lcp browse` in the container's network namespace (nsenter -n)."""
    host_map = [] if server.host[0].isdigit() else [server.host]
    argv = [
        *BROWSER_PRIORITY,
        "nsenter",
        "-t",
        container_pid(box.name),
        "-n",
        sys.executable,
        "-m",
        "bench.lcp",
        "browse",
        server.base_url + PAGE_PATH,
        "--loads",
        str(loads),
        "--seconds",
        f"{timeout:g}",
        *(f"--map={h}" for h in host_map),
    ]
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout + 60,
        cwd=Path(__file__).resolve().parents[1],
    )
    if proc.returncode != 0:
        raise BenchError(
            f"the browser failed against {server.base_url} (rc {proc.returncode}): "
            f"{shlex.join(argv)}\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}"
        )
    return last_json(proc.stdout)


# --- the background load ---------------------------------------------------------------------


class Background:
    """wrk on the I/O page in the container for as long as the browser loads the page."""

    def __init__(self, box: Container, server: Server, connections: int) -> None:
        self.box, self.server = box, server
        argv = [
            "wrk",
            "--latency",
            "-t2",
            f"-c{connections}",
            "-d600s",  # stopped with SIGINT, after which wrk prints its figures
            "--timeout",
            "2s",
            "-H",
            f"Host: {server.host}",
            server.base_url + BACKGROUND_PATH,
        ]
        pidfile = shlex.quote(PIDFILE)
        script = (
            f"mkdir -p {Path(PIDFILE).parent} && echo $$ > {pidfile} && exec {shlex.join(argv)}"
        )
        self.proc = subprocess.Popen(
            ["docker", "exec", box.name, "sh", "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output = ""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        self.output = self.proc.stdout.read()

    def stop(self) -> dict[str, Any]:
        self.box.sh(f"kill -INT $(cat {PIDFILE}) 2>/dev/null; rm -f {PIDFILE}", check=False)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.reader.join(timeout=5)
        try:
            wrk = parse_wrk(self.output)
        except WrkParseError as exc:
            return {"error": f"{exc}: {self.output[-300:]}"}
        return {"rps": wrk.rps, "p99_ms": wrk.p99_ms, "errors": wrk.errors}


# --- the measurement -------------------------------------------------------------------------


def measure(
    box: Container,
    servers: Mapping[str, Server],
    loads: int = 20,
    *,
    rounds: int = 2,
    connections: int = BACKGROUND_CONNECTIONS,
    budget_s: float = 90.0,
    warmup_s: float = 1.0,
) -> dict[str, Any]:
    """Cold page loads against the dev server and the stack, each under its background load.

    The loads of each server are split into `rounds` batches in alternating order (batches():
    dev, stack, stack, dev, ...) so drift on a shared machine hits both; each batch runs with wrk
    holding `connections` on the same server's I/O page, started `warmup_s` before the first
    load. The dev server must be running (bench/servers.py's transient unit; dev_server() starts
    it for a block, as bench/run.py stops it after the wrk cases). Returns per server: loads,
    errors, TTFB and LCP p50/p75 in ms, the background load's req/s; then the ratio of the p75
    LCPs and whether it meets the goal.
    """
    t0 = time.monotonic()
    # The floor: the same cold loads with no background load, what this page costs the browser
    # itself on this machine (the bound under the goal: the stack cannot go below it).
    unloaded: dict[str, float | None] = {}
    for name in SERVERS:
        got = browse_in_container(box, servers[name], UNLOADED_LOADS, 20.0)
        floor = []
        for timings in got["raw"]:
            with suppress(LoadError):
                floor.append(parse_timings(timings).lcp_ms)
        unloaded[name] = percentile(floor, 50)
    plan = batches(loads, rounds)
    samples: dict[str, list[Sample]] = {name: [] for name in SERVERS}
    errors: dict[str, list[str]] = {name: [] for name in SERVERS}
    background: dict[str, list[dict[str, Any]]] = {name: [] for name in SERVERS}
    for i, (round_no, name, count) in enumerate(plan):
        server = servers[name]
        # What is left of the budget, shared by the batches still to run.
        batch_budget = max(5.0, (budget_s - (time.monotonic() - t0)) / (len(plan) - i))
        bg = Background(box, server, connections)
        try:
            time.sleep(warmup_s)
            got = browse_in_container(box, server, count, batch_budget)
        finally:
            background[name].append(bg.stop())
        for timings in got["raw"]:
            try:
                samples[name].append(parse_timings(timings))
            except LoadError as exc:
                errors[name].append(str(exc))
        errors[name] += got["errors"]
        print(
            f"lcp: [{round_no}/{plan[-1][0]}] {name:<12} {len(got['raw'])} loads, "
            f"{len(got['errors'])} browser errors",
            flush=True,
        )
    rows = {name: summarize(samples[name], errors[name]) for name in SERVERS}
    for name, row in rows.items():
        value = unloaded.get(name)
        row["unloaded_lcp_p50_ms"] = None if value is None else round(value, 1)
    for name, row in rows.items():
        rps = [b["rps"] for b in background[name] if "rps" in b]
        row["background_rps"] = round(sum(rps) / len(rps)) if rps else None
        row["background"] = background[name]
    ratio, met = verdict(rows[CANDIDATE]["lcp_p75_ms"], rows[BASELINE]["lcp_p75_ms"])
    return {
        "servers": rows,
        "ratio": ratio,
        "goal": GOAL_RATIO,
        "goal_met": met,
        "loads_per_server": loads,
        "background": f"wrk -c{connections} {BACKGROUND_PATH} on the same server",
        "method": (
            f"Headless Chromium ({chromium_version()}), a new browser context per load (cold: no "
            f"cache, new connections), wrk keeping {connections} connections on "
            f"{BACKGROUND_PATH} of the same server."
        ),
        "elapsed_s": round(time.monotonic() - t0, 1),
    }


@contextmanager
def dev_server(box: Container, dep: Deployment, servers: Mapping[str, Server]) -> Iterator[None]:
    """The dev server's transient unit up for the block (started and stopped here unless it
    already ran: bench/run.py stops its side servers after the wrk cases), both servers
    answering."""
    was_up = box.run(["systemctl", "is-active", DEV_UNIT], check=False).strip() == "active"
    try:
        if not was_up:
            start_side_servers(box, dep, {"dev"})
        for name in SERVERS:
            server = servers[name]
            wait = box.agent("wait", server.base_url + "/healthz", "--host", server.host)
            if not wait.get("ready"):
                raise BenchError(f"{name} does not answer at {server.base_url}: {wait}")
        yield
    finally:
        if not was_up:
            box.run(["systemctl", "stop", DEV_UNIT], check=False)


def chromium_version() -> str:
    try:
        out = subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, check=False, timeout=30
        ).stdout
    except OSError:
        return "chromium ?"
    return " ".join(out.split()[:2]) or "chromium ?"


# --- command line ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["browse"]:
        return browse_main(args[1:])
    p = argparse.ArgumentParser(
        description="LCP and TTFB of the sample app's page in headless Chromium, "
        "stack vs dev server, under load."
    )
    p.add_argument("--container", default="flaskstack-bench")
    p.add_argument("--app", default="sample", help="app_name of the deployment")
    p.add_argument("--https-host", default="app.flaskstack.test")
    p.add_argument("--http-host", default="plain.flaskstack.test")
    p.add_argument("--loads", type=int, default=20, help="cold loads per server (>= 20)")
    p.add_argument("--rounds", type=int, default=2, help="alternating batches per server")
    p.add_argument("--budget", type=float, default=90.0, help="seconds for the browser loads")
    p.add_argument("--json", type=Path, help="write the result there too")
    opts = p.parse_args(args)
    box = Container(opts.container)
    prepare_container(box, (opts.https_host, opts.http_host))
    servers = server_table(opts.app, opts.http_host, opts.https_host)
    try:
        with dev_server(box, discover(box, opts.app), servers):
            result = measure(
                box, servers, max(1, opts.loads), rounds=max(1, opts.rounds), budget_s=opts.budget
            )
    finally:
        box.close()
    print()
    print(format_markdown(result))
    if opts.json:
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        opts.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def browse_main(args: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.lcp browse")
    p.add_argument("url")
    p.add_argument("--loads", type=int, default=10)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--map", action="append", default=[], help="a host name to map to 127.0.0.1")
    opts = p.parse_args(args)
    result = browse(opts.url, opts.loads, opts.map, time.monotonic() + opts.seconds)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench.lcp: {exc}", file=sys.stderr)
        sys.exit(1)
