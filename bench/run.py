"""`make bench`: the sample app served five ways, side by side, in one container.

Drives everything through `docker exec` in a container where playbooks/site.yml deployed the
stack (scripts/bench.sh creates it). Next to the deployed Nginx → Gunicorn stack it starts, as
transient systemd units in the same container, Flask's development server and a second Gunicorn
with the deployed worker settings bound to TCP; the in-process ceiling calls the WSGI app with no
network at all. Load comes from wrk (Debian's package) and from bench/agent.py, copied into the
container. All traffic stays on the container's loopback interface.

    python -m bench.run --container flaskstack-bench [--smoke] [--only REGEX] ...
"""

from __future__ import annotations

import argparse
import json
import math
import queue
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.deploy import STEP_NAMES
from bench.wrk import WrkParseError, parse_wrk

HERE = Path(__file__).resolve().parent
AGENT = "/usr/local/lib/flaskstack-bench/agent.py"
ENV_FILE = "/run/flaskstack-bench/env"
DEV_UNIT = "flaskstack-bench-dev.service"
GUNICORN_UNIT = "flaskstack-bench-gunicorn.service"
# Every server's log lines pass through journald: its CPU time is counted for every server
# (Gunicorn's access log alone cost it 36-56 µs per request).
JOURNALD_UNIT = "systemd-journald.service"
DEV_PORT = 5000
GUNICORN_PORT = 8000
CONCURRENCIES = (1, 16, 64, 256)
# Environment of the deployed Gunicorn that belongs to systemd, not to the app.
SYSTEMD_ENV = re.compile(
    r"^(LISTEN_\w+|INVOCATION_ID|JOURNAL_STREAM|NOTIFY_SOCKET|MAINPID|MANAGERPID|"
    r"SYSTEMD_\w+|RUNTIME_DIRECTORY|STATE_DIRECTORY|LOGS_DIRECTORY|CACHE_DIRECTORY|"
    r"CONFIGURATION_DIRECTORY|CREDENTIALS_DIRECTORY|WATCHDOG_\w+)="
)


class BenchError(RuntimeError):
    """The bench cannot run (missing deployment, a server that does not answer, ...)."""


# --- docker --------------------------------------------------------------------------------


@dataclass
class Container:
    name: str
    _session: subprocess.Popen[str] | None = None
    _replies: queue.Queue[str] = field(default_factory=queue.Queue)

    def run(
        self,
        argv: Sequence[str],
        *,
        check: bool = True,
        timeout: float = 120,
        stdin: str | None = None,
    ) -> str:
        cmd = ["docker", "exec", *(["-i"] if stdin is not None else []), self.name, *argv]
        proc = subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise BenchError(
                f"`{shlex.join(argv)}` failed in {self.name} (rc {proc.returncode}):\n"
                f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        return proc.stdout

    def sh(self, script: str, *, check: bool = True, timeout: float = 120) -> str:
        return self.run(["sh", "-c", script], check=check, timeout=timeout)

    def agent(self, *args: str, python: str = "", timeout: float = 120) -> dict[str, Any]:
        """Run an agent command: in the long-lived session, or with its own `docker exec`."""
        if python:
            return last_json(self.run([python, AGENT, *args], timeout=timeout))
        session = self._open_session()
        assert session.stdin is not None
        session.stdin.write(json.dumps(list(args)) + "\n")
        session.stdin.flush()
        try:
            reply = json.loads(self._replies.get(timeout=timeout))
        except queue.Empty:
            self.close()
            raise BenchError(f"agent {args[0]} did not answer within {timeout:g} s") from None
        if not reply["ok"]:
            raise BenchError(f"agent {shlex.join(args)}: {reply['error']}\n{reply['stdout']}")
        return last_json(reply["stdout"])

    def _open_session(self) -> subprocess.Popen[str]:
        if self._session is None or self._session.poll() is not None:
            self._replies = queue.Queue()
            self._session = subprocess.Popen(
                ["docker", "exec", "-i", self.name, "python3", AGENT, "serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            replies, out = self._replies, self._session.stdout
            assert out is not None

            def pump() -> None:
                for line in out:
                    replies.put(line)

            threading.Thread(target=pump, daemon=True).start()
        return self._session

    def close(self) -> None:
        if self._session is not None:
            if self._session.stdin is not None:
                self._session.stdin.close()
            try:
                self._session.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._session.kill()
            self._session = None

    def popen_agent(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            ["docker", "exec", self.name, "python3", AGENT, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )


def last_json(text: str) -> dict[str, Any]:
    """The JSON object on the last non-empty line of an agent's output."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise BenchError("agent printed nothing")
    try:
        data = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise BenchError(f"agent printed no JSON: {text[-500:]}") from exc
    if not isinstance(data, dict):
        raise BenchError(f"agent printed no JSON object: {lines[-1]}")
    return data


# --- the servers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str  # what wrk connects to (the name resolves to 127.0.0.1 in the container)
    host: str  # Host header and TLS server name
    units: tuple[str, ...]  # systemd units whose CPU time is the server's
    port: int
    tls: bool = False


@dataclass(frozen=True)
class Case:
    kind: str  # dynamic | static | slow | tls | ceiling
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
    servers = ("dev", "gunicorn", "stack-http", "stack-https")
    cases = [Case("dynamic", s, c) for c in CONCURRENCIES for s in servers]
    cases += [Case("static", s, 16) for s in servers]
    cases += [Case("slow", s, 16) for s in servers]
    cases += [Case("tls", "stack-https", mode="full"), Case("tls", "stack-https", mode="resumed")]
    cases.append(Case("ceiling", "inprocess"))
    return cases


@dataclass
class Deployment:
    """What site.yml deployed, read from the running gunicorn-<app> unit."""

    unit: str
    argv: list[str]
    user: str
    group: str
    workdir: str
    venv_bin: str
    wsgi_app: str
    config: dict[str, str] = field(default_factory=dict)

    def gunicorn_summary(self) -> str:
        c = self.config
        text = f"{c.get('worker_class', '?')} x {c.get('workers', '?')}"
        if c.get("worker_class") == "gthread":
            text += f" ({c.get('threads', '?')} threads)"
        return text + f", keepalive {c.get('keepalive', '?')} s"


def discover(box: Container, app: str) -> Deployment:
    unit = f"gunicorn-{app}.service"
    props = {}
    out = box.run(
        ["systemctl", "show", unit, "-p", "MainPID,User,Group,WorkingDirectory,ExecStart"]
    )
    for line in out.splitlines():
        key, _, value = line.partition("=")
        props[key] = value
    pid = props.get("MainPID", "0")
    match = re.search(r"argv\[\]=(.*?) ; ", props.get("ExecStart", ""))
    if pid in ("", "0") or not match:
        raise BenchError(
            f"{unit} is not running in the container: deploy the stack first (scripts/bench.sh)"
        )
    argv = shlex.split(match.group(1))
    # `.../venv/bin/gunicorn ...` or `.../venv/bin/python -m gunicorn ...`
    venv_bin = str(Path(argv[0]).parent)
    # The deployed environment (SECRET_KEY and friends) goes into a root-only file, never argv.
    environ = box.run(["cat", f"/proc/{pid}/environ"])
    env_lines = [
        f'{k}="{v}"'
        for item in environ.split("\0")
        if item and "=" in item and not SYSTEMD_ENV.match(item)
        for k, v in [item.split("=", 1)]
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k)
        and '"' not in v
        and "\\" not in v
        and "\n" not in v
    ]
    box.run(
        ["sh", "-c", f"umask 077 && mkdir -p {Path(ENV_FILE).parent} && cat > {ENV_FILE}"],
        stdin="\n".join(env_lines) + "\n",
    )
    config: dict[str, str] = {}
    printed = box.run(
        [
            "sh",
            "-c",
            f"cd {shlex.quote(props.get('WorkingDirectory') or '/')} && "
            f"{shlex.join(argv)} --print-config",
        ],
        check=False,
    )
    for line in printed.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip()] = value.strip()
    # The app: from the config file (wsgi_app) or the command line, as Gunicorn itself does.
    positional = [a for a in argv[1:] if not a.startswith("-") and ":" in a]
    wsgi_app = config.get("wsgi_app", "None")
    if wsgi_app == "None":
        wsgi_app = positional[-1] if positional else "flaskstack_sample.wsgi:app"
    return Deployment(
        unit=unit,
        argv=argv,
        user=props.get("User") or "root",
        group=props.get("Group") or "",
        workdir=props.get("WorkingDirectory") or "/",
        venv_bin=venv_bin,
        wsgi_app=wsgi_app,
        config={
            k: config[k]
            for k in ("worker_class", "workers", "threads", "keepalive", "bind")
            if k in config
        },
    )


def without_bind(argv: Sequence[str]) -> list[str]:
    """argv with every -b/--bind option (and its value) removed."""
    result: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("-b", "--bind"):
            skip = True
            continue
        if arg.startswith("--bind=") or (arg.startswith("-b") and len(arg) > 2):
            continue
        result.append(arg)
    return result


def start_unit(box: Container, unit: str, dep: Deployment, argv: Sequence[str]) -> None:
    box.run(["systemctl", "stop", unit], check=False)
    box.run(["systemctl", "reset-failed", unit], check=False)
    props = [
        f"User={dep.user}",
        f"WorkingDirectory={dep.workdir}",
        f"EnvironmentFile={ENV_FILE}",
        f"RuntimeDirectory={unit.removesuffix('.service')}",
    ]
    if dep.group:
        props.append(f"Group={dep.group}")
    box.run(
        [
            "systemd-run",
            f"--unit={unit}",
            "--collect",
            "--quiet",
            *(f"--property={p}" for p in props),
            "--",
            *argv,
        ]
    )


def start_side_servers(box: Container, dep: Deployment, needed: set[str]) -> None:
    if "gunicorn" in needed:
        runtime = f"/run/{GUNICORN_UNIT.removesuffix('.service')}"
        start_unit(
            box,
            GUNICORN_UNIT,
            dep,
            [
                *without_bind(dep.argv),
                "--bind",
                f"127.0.0.1:{GUNICORN_PORT}",
                "--no-control-socket",
                "--pid",
                f"{runtime}/gunicorn.pid",
            ],
        )
    if "dev" in needed:
        start_unit(
            box,
            DEV_UNIT,
            dep,
            [
                f"{dep.venv_bin}/flask",
                "--app",
                dep.wsgi_app,
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(DEV_PORT),
                "--with-threads",
                "--no-reload",
                "--no-debugger",
            ],
        )


def stop_side_servers(box: Container) -> None:
    box.run(["systemctl", "stop", DEV_UNIT, GUNICORN_UNIT], check=False)


# --- running cases ---------------------------------------------------------------------------


@dataclass
class Settings:
    duration: float
    repeats: int
    slow_clients: int
    handshake_seconds: float
    settle: float = 0.3


def wrk_argv(server: Server, path: str, concurrency: int, duration: float) -> list[str]:
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
        server.base_url + path,
    ]


def run_load(box: Container, units: Sequence[str], argv: Sequence[str], timeout: float) -> Any:
    return box.agent(
        "load", "--timeout", str(timeout), "--units", *units, "--", *argv, timeout=timeout + 30
    )


def run_wrk_case(
    box: Container, server: Server, path: str, concurrency: int, cfg: Settings
) -> dict[str, Any]:
    result = run_load(
        box, server.units, wrk_argv(server, path, concurrency, cfg.duration), cfg.duration + 30
    )
    try:
        wrk = parse_wrk(result["output"])
    except WrkParseError as exc:
        raise BenchError(f"wrk against {server.base_url}{path}: {exc}\n{result['output']}") from exc
    cpu = sum(result["cpu_s"].values())
    row = wrk.as_dict()
    row["cpu_s"] = cpu
    row["cpu_us_per_req"] = cpu / wrk.requests * 1e6 if wrk.requests else None
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
    result = run_load(box, ("nginx.service",), argv, cfg.handshake_seconds + 30)
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
    if case.kind == "static":
        return run_wrk_case(box, servers[case.server], "/static/large.bin", case.concurrency, cfg)
    if case.kind == "slow":
        return run_slow_case(box, servers[case.server], cfg)
    if case.kind == "tls":
        return run_tls_case(box, servers[case.server], case.mode, cfg)
    return run_ceiling(box, dep, cfg)


# Planning figures for --budget, measured on a busy 2-core machine: per-case cost on top of the
# case's own duration, what some kinds add, setup before the first case and the reports after.
CASE_OVERHEAD_S = 1.3
KIND_EXTRA_S = {"slow": 3.5, "ceiling": 3.0}
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
    return text


# --- setup -----------------------------------------------------------------------------------


def prepare_container(box: Container, hosts: Sequence[str]) -> None:
    box.run(["mkdir", "-p", str(Path(AGENT).parent)])
    subprocess.run(
        ["docker", "cp", str(HERE / "agent.py"), f"{box.name}:{AGENT}"], check=True, timeout=60
    )
    box.sh(
        "command -v wrk >/dev/null || { export DEBIAN_FRONTEND=noninteractive; "
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }",
        timeout=300,
    )
    # The site names resolve to the loopback interface, inside the container only.
    for host in hosts:
        box.sh(f"getent hosts {host} >/dev/null || echo '127.0.0.1 {host}' >> /etc/hosts")


def check_servers(box: Container, servers: dict[str, Server], needed: set[str]) -> None:
    for name in sorted(needed):
        server = servers[name]
        wait = box.agent("wait", server.base_url + "/healthz", "--host", server.host)
        if not wait.get("ready"):
            raise BenchError(f"{name} does not answer at {server.base_url}: {wait}")
        for path in ("/", "/static/large.bin"):
            probe = box.agent("probe", server.base_url + path, "--host", server.host)
            if probe["status"] != 200:
                raise BenchError(
                    f"{name}: GET {path} answered {probe['status']}, not 200 "
                    f"(a redirect would make wrk count 3xx as success)"
                )


def cores(nproc_output: str) -> int | None:
    """The cores from `nproc`'s output, as a number (the report multiplies by it)."""
    text = nproc_output.strip()
    return int(text) if text.isdigit() else None


def versions(box: Container, dep: Deployment) -> dict[str, Any]:
    nginx = box.sh("nginx -v 2>&1", check=False).strip()
    gunicorn = box.run(
        [f"{dep.venv_bin}/python", "-c", "import gunicorn; print(gunicorn.__version__)"],
        check=False,
    ).strip()
    flask = box.run(
        [
            f"{dep.venv_bin}/python",
            "-c",
            "import importlib.metadata as m; print(m.version('flask'))",
        ],
        check=False,
    ).strip()
    wrk = box.sh("wrk -v 2>&1 | head -n1", check=False).strip()
    cpus = box.run(["nproc"], check=False).strip()
    return {
        "nginx_version": nginx,
        "gunicorn_version": gunicorn,
        "flask_version": flask,
        "wrk_version": wrk,
        "cpus": cores(cpus),
    }


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark the deployed stack against the alternatives."
    )
    p.add_argument("--container", default="flaskstack-bench")
    p.add_argument("--app", default="sample", help="app_name of the deployment")
    p.add_argument("--https-host", default="app.flaskstack.test", help="TLS site's server name")
    p.add_argument("--http-host", default="plain.flaskstack.test", help="plain-HTTP site's name")
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
        "--deploy", type=Path, help="deploy.json of bench/deploy.py, put into the report"
    )
    args = p.parse_args(argv)
    if args.smoke:
        args.only = r"^dynamic/stack-https/c16$"
        args.duration = 2
        args.repeats = 1
    args.duration = max(1, min(args.duration, 20))
    args.repeats = max(1, min(args.repeats, 9))
    args.slow_clients = max(1, min(args.slow_clients, 1000))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    t0 = time.monotonic()
    box = Container(args.container)
    cases = all_cases()
    if args.only:
        cases = [c for c in cases if re.search(args.only, c.id)]
    if not cases:
        raise BenchError(f"--only {args.only!r} matches no case")
    cfg = Settings(
        duration=args.duration,
        repeats=args.repeats,
        slow_clients=args.slow_clients,
        handshake_seconds=args.duration,
    )
    if args.budget:
        cfg.duration = cfg.handshake_seconds = fit_duration(cases, cfg, args.budget)
    stack_units = (f"gunicorn-{args.app}.service", "nginx.service", JOURNALD_UNIT)
    servers = {
        "dev": Server(
            "dev", f"http://127.0.0.1:{DEV_PORT}", "127.0.0.1", (DEV_UNIT, JOURNALD_UNIT), DEV_PORT
        ),
        "gunicorn": Server(
            "gunicorn",
            f"http://127.0.0.1:{GUNICORN_PORT}",
            "127.0.0.1",
            (GUNICORN_UNIT, JOURNALD_UNIT),
            GUNICORN_PORT,
        ),
        "stack-http": Server(
            "stack-http", f"http://{args.http_host}:80", args.http_host, stack_units, 80
        ),
        "stack-https": Server(
            "stack-https",
            f"https://{args.https_host}:443",
            args.https_host,
            stack_units,
            443,
            tls=True,
        ),
    }
    needed = {c.server for c in cases if c.server in servers}

    prepare_container(box, (args.https_host, args.http_host))
    dep = discover(box, args.app)
    meta: dict[str, Any] = {
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
    print(
        f"bench: {len(cases)} case(s) x {cfg.repeats} round(s) of {cfg.duration:g} s; "
        f"{meta['nginx_version']}, Gunicorn {meta['gunicorn_version']} "
        f"({dep.gunicorn_summary()}), {meta['cpus']} CPU(s)",
        flush=True,
    )
    runs: dict[str, list[dict[str, Any]]] = {c.id: [] for c in cases}
    deadline = t0 + args.budget - REPORT_SECONDS if args.budget else math.inf
    meta["stopped_early"] = False
    try:
        start_side_servers(box, dep, needed)
        check_servers(box, servers, needed)
        for r in range(cfg.repeats):
            # Alternate the order between rounds so drift on a shared machine hits every case.
            order = cases if r % 2 == 0 else list(reversed(cases))
            for case in order:
                if time.monotonic() + case_seconds(case, cfg) > deadline:
                    meta["stopped_early"] = True
                    break
                t = time.monotonic()
                row = run_case(box, case, servers, dep, cfg)
                row["wall_s"] = round(time.monotonic() - t, 2)
                runs[case.id].append(row)
                print(progress(r + 1, cfg.repeats, case, row), flush=True)
                time.sleep(cfg.settle)
            if meta["stopped_early"]:
                print(
                    f"bench: WARNING stopped in round {r + 1} of {cfg.repeats} to stay within "
                    f"--budget {args.budget:g} s; medians are over fewer runs",
                    flush=True,
                )
                break
    finally:
        stop_side_servers(box)
        box.close()

    summary = report.summarize(runs)
    ratios = report.compute_ratios(summary, CONCURRENCIES, cpus=meta.get("cpus"))
    meta["elapsed_s"] = round(time.monotonic() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    json_path, md_path, png_path = (args.out / f"bench.{ext}" for ext in ("json", "md", "png"))
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
    print(f"\nbench: wrote {json_path}, {md_path}, {png_path} in {meta['elapsed_s']} s")

    if args.smoke:
        return smoke_check(summary, (json_path, md_path, png_path), meta["deploy"])
    return 0


def smoke_check(
    summary: dict[str, dict[str, Any]], paths: Sequence[Path], deploy: dict[str, Any] | None
) -> int:
    problems = []
    steps = [step["name"] for step in (deploy or {}).get("steps", [])]
    if steps != list(STEP_NAMES):
        problems.append(f"deploy section has steps {steps}, not {list(STEP_NAMES)}")
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
