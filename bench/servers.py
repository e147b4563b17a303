"""The servers under test: the deployed stack as site.yml left it, and the side servers next to it.

The deployed Gunicorn is read from its running gunicorn-<app> unit (command, user, working
directory, environment, effective config). Flask's development server and a second Gunicorn with
the deployed settings bound to TCP run as transient systemd units with the same user, working
directory and environment. Not bench/deploy.py, which times the deployment itself.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.container import BenchError, Container

ENV_FILE = "/run/flaskstack-bench/env"
DEV_UNIT = "flaskstack-bench-dev.service"
GUNICORN_UNIT = "flaskstack-bench-gunicorn.service"
# WhiteNoise on Gunicorn (the deployed settings) serving the release's static directory: what many
# Flask users run instead of Nginx for static files. Installed with the release venv's pip into a
# directory of its own (never into the release), found through PYTHONPATH.
WHITENOISE_UNIT = "flaskstack-bench-whitenoise.service"
WHITENOISE_DIR = "/opt/flaskstack-bench/whitenoise"
WHITENOISE_MODULE = "flaskstack_bench_whitenoise"
WHITENOISE_PORT = 8001
# Every server's log lines pass through journald: its CPU time is counted for every server
# (Gunicorn's access log alone cost it 36-56 µs per request).
JOURNALD_UNIT = "systemd-journald.service"
NGINX_UNIT = "nginx.service"
# The parts of a server's CPU time the report shows apart ("Where the CPU goes"): the app server
# (Gunicorn or the dev server, with the app it runs), Nginx and journald.
CPU_PARTS = ("app_server", "nginx", "journald")
DEV_PORT = 5000
GUNICORN_PORT = 8000
# Environment of the deployed Gunicorn that belongs to systemd, not to the app.
SYSTEMD_ENV = re.compile(
    r"^(LISTEN_\w+|INVOCATION_ID|JOURNAL_STREAM|NOTIFY_SOCKET|MAINPID|MANAGERPID|"
    r"SYSTEMD_\w+|RUNTIME_DIRECTORY|STATE_DIRECTORY|LOGS_DIRECTORY|CACHE_DIRECTORY|"
    r"CONFIGURATION_DIRECTORY|CREDENTIALS_DIRECTORY|WATCHDOG_\w+)="
)
# The deployed Gunicorn settings the report shows.
REPORTED_CONFIG = ("worker_class", "workers", "threads", "keepalive", "bind")


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str  # what wrk connects to (the name resolves to 127.0.0.1 in the container)
    host: str  # Host header and TLS server name
    units: tuple[str, ...]  # systemd units whose CPU time is the server's
    port: int
    tls: bool = False


def cpu_part(unit: str) -> str:
    """The part of a server's CPU time (one of CPU_PARTS) that a unit's processes are."""
    if unit == NGINX_UNIT:
        return "nginx"
    if unit == JOURNALD_UNIT:
        return "journald"
    return "app_server"


def cpu_by_part(cpu_s: Mapping[str, float], requests: int) -> dict[str, float | None]:
    """CPU µs per request of each part, as `cpu_<part>_us_per_req`, from CPU seconds per unit; a
    part with no unit is 0 (Gunicorn direct has no Nginx), all None when nothing was answered."""
    seconds = dict.fromkeys(CPU_PARTS, 0.0)
    for unit, value in cpu_s.items():
        seconds[cpu_part(unit)] += value
    return {
        f"cpu_{part}_us_per_req": value / requests * 1e6 if requests else None
        for part, value in seconds.items()
    }


def server_table(
    app: str, http_host: str, https_host: str, onthefly_host: str = "onthefly.flaskstack.test"
) -> dict[str, Server]:
    stack_units = (f"gunicorn-{app}.service", NGINX_UNIT, JOURNALD_UNIT)
    return {
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
        "stack-http": Server("stack-http", f"http://{http_host}:80", http_host, stack_units, 80),
        "stack-https": Server(
            "stack-https", f"https://{https_host}:443", https_host, stack_units, 443, tls=True
        ),
        # bench/inventory.yml's vhost with static_precompressed: false (gzip on the fly).
        "stack-onthefly": Server(
            "stack-onthefly", f"http://{onthefly_host}:80", onthefly_host, stack_units, 80
        ),
        "whitenoise": Server(
            "whitenoise",
            f"http://127.0.0.1:{WHITENOISE_PORT}",
            "127.0.0.1",
            (WHITENOISE_UNIT, JOURNALD_UNIT),
            WHITENOISE_PORT,
        ),
    }


# --- the deployment --------------------------------------------------------------------------


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
    props = unit_properties(box, unit)
    pid, argv = running_command(unit, props)
    write_env_file(box, pid)
    workdir = props.get("WorkingDirectory") or "/"
    config = gunicorn_config(box, argv, workdir)
    return Deployment(
        unit=unit,
        argv=argv,
        user=props.get("User") or "root",
        group=props.get("Group") or "",
        workdir=workdir,
        # `.../venv/bin/gunicorn ...` or `.../venv/bin/python -m gunicorn ...`
        venv_bin=str(Path(argv[0]).parent),
        wsgi_app=find_wsgi_app(argv, config),
        config={k: config[k] for k in REPORTED_CONFIG if k in config},
    )


def unit_properties(box: Container, unit: str) -> dict[str, str]:
    out = box.run(
        ["systemctl", "show", unit, "-p", "MainPID,User,Group,WorkingDirectory,ExecStart"]
    )
    props = {}
    for line in out.splitlines():
        key, _, value = line.partition("=")
        props[key] = value
    return props


def running_command(unit: str, props: Mapping[str, str]) -> tuple[str, list[str]]:
    """The main PID and the ExecStart argv of a running unit."""
    pid = props.get("MainPID", "0")
    match = re.search(r"argv\[\]=(.*?) ; ", props.get("ExecStart", ""))
    if pid in ("", "0") or not match:
        raise BenchError(
            f"{unit} is not running in the container: deploy the stack first (scripts/bench.sh)"
        )
    return pid, shlex.split(match.group(1))


def env_file_lines(environ: str) -> list[str]:
    """The app's part of a /proc/PID/environ as KEY="value" lines (what a unit can read)."""
    return [
        f'{k}="{v}"'
        for item in environ.split("\0")
        if item and "=" in item and not SYSTEMD_ENV.match(item)
        for k, v in [item.split("=", 1)]
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k)
        and '"' not in v
        and "\\" not in v
        and "\n" not in v
    ]


def write_env_file(box: Container, pid: str) -> None:
    # The deployed environment (SECRET_KEY and friends) goes into a root-only file, never argv.
    environ = box.run(["cat", f"/proc/{pid}/environ"])
    box.run(
        ["sh", "-c", f"umask 077 && mkdir -p {Path(ENV_FILE).parent} && cat > {ENV_FILE}"],
        stdin="\n".join(env_file_lines(environ)) + "\n",
    )


def gunicorn_config(box: Container, argv: Sequence[str], workdir: str) -> dict[str, str]:
    """The effective settings of a Gunicorn command line (`--print-config`)."""
    printed = box.run(
        ["sh", "-c", f"cd {shlex.quote(workdir)} && {shlex.join(argv)} --print-config"],
        check=False,
    )
    config: dict[str, str] = {}
    for line in printed.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            config[key.strip()] = value.strip()
    return config


def find_wsgi_app(argv: Sequence[str], config: Mapping[str, str]) -> str:
    # The app: from the config file (wsgi_app) or the command line, as Gunicorn itself does.
    positional = [a for a in argv[1:] if not a.startswith("-") and ":" in a]
    wsgi_app = config.get("wsgi_app", "None")
    if wsgi_app == "None":
        wsgi_app = positional[-1] if positional else "flaskstack_sample.wsgi:app"
    return wsgi_app


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


def cores(nproc_output: str) -> int | None:
    """The cores from `nproc`'s output, as a number (the report multiplies by it)."""
    text = nproc_output.strip()
    return int(text) if text.isdigit() else None


# --- the side servers ------------------------------------------------------------------------


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


def start_unit(
    box: Container, unit: str, dep: Deployment, argv: Sequence[str], *extra: str
) -> None:
    box.run(["systemctl", "stop", unit], check=False)
    box.run(["systemctl", "reset-failed", unit], check=False)
    props = [
        f"User={dep.user}",
        f"WorkingDirectory={dep.workdir}",
        f"EnvironmentFile={ENV_FILE}",
        f"RuntimeDirectory={unit.removesuffix('.service')}",
        *extra,
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


def side_gunicorn_argv(dep: Deployment, unit: str, port: int, app: str = "") -> list[str]:
    """The deployed Gunicorn command bound to 127.0.0.1:port (another WSGI app if given: a
    positional app wins over the config file's wsgi_app, as in Gunicorn itself)."""
    argv = without_bind(dep.argv)
    if app:
        argv = [a for a in argv if a != dep.wsgi_app] + [app]
    runtime = f"/run/{unit.removesuffix('.service')}"
    return [
        *argv,
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",
        "--pid",
        f"{runtime}/gunicorn.pid",
    ]


def whitenoise_module(wsgi_app: str, static_root: str) -> str:
    """The wrapper WhiteNoise runs as: the deployed app, static files from the release's dir."""
    module, _, name = wsgi_app.partition(":")
    return (
        "from whitenoise import WhiteNoise\n"
        f"from {module} import {name or 'application'} as app\n"
        f"application = WhiteNoise(app, root={static_root!r}, prefix='static/')\n"
    )


def pip_command(dep: Deployment) -> str:
    """A pip for the release's Python: the release venv's own, else the app role's tool venv
    (<app root>/.uv/venv, same interpreter; a release venv made by uv has no pip)."""
    tool_pip = f"{Path(dep.workdir).parent}/.uv/venv/bin/pip"
    release_pip = f"{dep.venv_bin}/python -m pip"
    return (
        f"if {release_pip} --version >/dev/null 2>&1; then pip='{release_pip}'; "
        f"else pip={tool_pip}; fi"
    )


def install_whitenoise(box: Container, dep: Deployment) -> None:
    """whitenoise from PyPI into WHITENOISE_DIR (never the release), and the wrapper module."""
    box.sh(
        f"test -d {WHITENOISE_DIR}/whitenoise || {{ {pip_command(dep)}; $pip install -q "
        f"--disable-pip-version-check --target {WHITENOISE_DIR} whitenoise; }}",
        timeout=300,
    )
    static_root = f"{dep.workdir.rstrip('/')}/static"
    box.run(
        ["sh", "-c", f"cat > {WHITENOISE_DIR}/{WHITENOISE_MODULE}.py"],
        stdin=whitenoise_module(dep.wsgi_app, static_root),
    )


def start_side_servers(box: Container, dep: Deployment, needed: set[str]) -> None:
    if "gunicorn" in needed:
        start_unit(box, GUNICORN_UNIT, dep, side_gunicorn_argv(dep, GUNICORN_UNIT, GUNICORN_PORT))
    if "whitenoise" in needed:
        install_whitenoise(box, dep)
        start_unit(
            box,
            WHITENOISE_UNIT,
            dep,
            side_gunicorn_argv(
                dep, WHITENOISE_UNIT, WHITENOISE_PORT, f"{WHITENOISE_MODULE}:application"
            ),
            f"Environment=PYTHONPATH={WHITENOISE_DIR}",
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


# The servers site.yml deploys (the others are side servers the bench starts itself).
STACK_SERVERS = frozenset({"stack-http", "stack-https"})


def stop_side_servers(box: Container) -> None:
    box.run(["systemctl", "stop", DEV_UNIT, GUNICORN_UNIT, WHITENOISE_UNIT], check=False)


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
