"""The gate of flaskstack.web.gunicorn: can this release be served with this configuration?

Run before anything goes live (before `current` switches to a new release, before a new
gunicorn.conf.py, unit or environment file is loaded), in the candidate release, as the app user,
with the app's environment file, in the service's sandbox (systemd-run --pipe), by the release's
own Python:

    <release>/venv/bin/python -c "<this file>" < request.json

Two phases, run in the order the request lists them (the first refusal ends the call):
  import  load gunicorn.conf.py as the role writes it with the release's Gunicorn: every value
          valid, every name of gunicorn_extra_settings a Gunicorn setting, the worker class
          loadable, then import gunicorn_wsgi_app from the release directory as a worker would.
          Run before the release hooks (migrations): a wrong target fails before they change data.
  serve   Kamal's model: start this release with this configuration beside the live one (one
          worker, a unix socket in the sandbox's private /tmp, so no user's request reaches it),
          wait until it answers gunicorn_health_path with the site's Host name, judge the answer
          as the health check does, stop it. Run after the hooks, right before the switch.

The request (JSON on stdin): phases (the list to run, in order), config (the file's text),
release_dir, release_id, variables (Gunicorn setting -> the role variable that sets it), extra
(the names of gunicorn_extra_settings), health {path, host, status (list, empty: any status
below 500), timeout (seconds)}. The answer is the last stdout line, "FLASKSTACK-GATE <json>":
{"ok": bool, "variable": name or "", "problem": one line, "detail": traceback or log tail}.
Exit status 0 either way: the role judges the answer. Nothing here is written outside the private
/tmp.
"""

from __future__ import annotations

import difflib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any

MARKER = "FLASKSTACK-GATE "
TAIL = 40


class Refused(Exception):
    """The candidate cannot be served: carries the answer."""

    def __init__(self, variable: str, problem: str, detail: str = "") -> None:
        super().__init__(problem)
        self.answer = {"ok": False, "variable": variable, "problem": problem, "detail": detail}


def _tail(text: str, lines: int = TAIL) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _exception_text() -> str:
    return _tail(traceback.format_exc())


def _variable_of(setting: str, request: dict[str, Any]) -> str:
    if setting in request.get("extra", []):
        return "gunicorn_extra_settings." + setting
    return request.get("variables", {}).get(setting, "gunicorn.conf.py (" + setting + ")")


def _write_config(request: dict[str, Any], directory: str, overrides: str = "") -> str:
    path = os.path.join(directory, "gunicorn.conf.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(request["config"])
        fh.write(overrides)
    return path


def _load_config(request: dict[str, Any], path: str) -> Any:
    """gunicorn.conf.py as Gunicorn loads it, plus the checks Gunicorn leaves out (it ignores a
    name it does not know, so a misspelt setting would silently do nothing)."""
    import runpy

    try:
        from gunicorn.config import Config
    except Exception:
        raise Refused(
            "app_wsgi_server_package",
            "Gunicorn cannot be imported from the release's virtualenv",
            _exception_text(),
        ) from None
    cfg = Config()
    try:
        names = runpy.run_path(path)
    except Exception:
        raise Refused(
            "gunicorn_extra_settings",
            "gunicorn.conf.py raises when Python runs it",
            _exception_text(),
        ) from None
    for name in request.get("extra", []):
        if name.lower() not in cfg.settings:
            close = difflib.get_close_matches(name.lower(), list(cfg.settings), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise Refused(
                "gunicorn_extra_settings." + name,
                f"'{name}' is not a setting of Gunicorn {_gunicorn_version()}{hint}",
            )
    for name, value in names.items():
        if name not in cfg.settings:
            continue
        try:
            cfg.set(name.lower(), value)
        except Exception as exc:
            raise Refused(
                _variable_of(name, request),
                f"invalid value {value!r} for Gunicorn's setting '{name}': {exc}",
            ) from None
    try:
        cfg.worker_class  # noqa: B018 - loading the class is the check
    except Exception as exc:
        raise Refused(
            _variable_of("worker_class", request),
            f"Gunicorn cannot load the worker class {cfg.worker_class_str!r}: {exc}",
            _exception_text(),
        ) from None
    return cfg


def _gunicorn_version() -> str:
    try:
        import gunicorn

        return str(gunicorn.__version__)
    except Exception:
        return "?"


def _import_app(request: dict[str, Any], cfg: Any) -> None:
    """Import the app the way a worker does: from the release directory, with the config's
    pythonpath and environment, the release id as APP_RELEASE."""
    from gunicorn import util

    release_dir = request["release_dir"]
    os.chdir(release_dir)
    sys.path.insert(0, release_dir)
    for extra_path in (cfg.pythonpath or "").split(","):
        if extra_path.strip():
            sys.path.insert(0, extra_path.strip())
    os.environ.update(cfg.env or {})
    os.environ["APP_RELEASE"] = request["release_id"]
    target = cfg.wsgi_app
    variable = _variable_of("wsgi_app", request)
    if not target:
        raise Refused(variable, "no WSGI application is named")
    try:
        app = util.import_app(target)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Refused(
            variable,
            "{} {!r} cannot be imported from release {}: {}: {}".format(
                variable, target, request["release_id"], type(exc).__name__, first
            ),
            _exception_text(),
        ) from None
    if not callable(app):
        raise Refused(variable, f"{variable} {target!r} is not a WSGI callable: {app!r}")


def _healthy(status: int, wanted: list[int]) -> bool:
    return status in wanted if wanted else status < 500


def _serve(request: dict[str, Any], directory: str) -> None:
    """Start the candidate with one worker on a private socket, ask it, stop it.

    The socket is handed to Gunicorn the way systemd's socket unit hands the service its own
    (LISTEN_FDS, fd 3): the service never binds, and in its sandbox it could not bind a unix
    socket itself (Gunicorn chowns the file it binds, and the system call filter forbids chown).
    """
    health = request["health"]
    sock_path = os.path.join(directory, "gate.sock")
    overrides = (
        "\n# flaskstack.web.gunicorn gate: one worker on a private socket, in the candidate.\n"
        "workers = 1\nchdir = {}\n"
        "raw_env = [e for e in raw_env if not e.startswith('APP_RELEASE=')] + [{}]\n".format(
            json.dumps(request["release_dir"]),
            json.dumps("APP_RELEASE=" + request["release_id"]),
        )
    )
    path = _write_config(request, directory, overrides)
    log_path = os.path.join(directory, "gate.log")
    deadline = time.monotonic() + float(health.get("timeout", 60))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sock_path)
    listener.listen(64)

    def as_socket_activated() -> None:  # in the child, before exec
        os.dup2(listener.fileno(), 3)
        os.set_inheritable(3, True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())

    with listener, open(log_path, "w+", encoding="utf-8", errors="replace") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", path],
            cwd=request["release_dir"],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=as_socket_activated,  # the gate runs no threads
            pass_fds=(3,),
        )
        try:
            status = _ask(proc, sock_path, health, deadline)
        finally:
            _stop(proc)
        log.seek(0)
        output = _tail(log.read())
    if status is None:
        if proc.returncode not in (None, 0) and time.monotonic() < deadline:
            raise Refused(
                _variable_of("wsgi_app", request)
                if "Worker failed to boot" in output or "App failed to load" in output
                else "",
                "release {} with this configuration does not start: Gunicorn exited with status {}"
                " before it answered".format(request["release_id"], proc.returncode),
                output,
            )
        raise Refused(
            "gunicorn_ready_timeout",
            "release {} did not answer {} within gunicorn_ready_timeout ({} s)".format(
                request["release_id"], health["path"], health.get("timeout")
            ),
            output,
        )
    if not _healthy(status, list(health.get("status") or [])):
        raise Refused(
            "gunicorn_health_path",
            "release {} answered {} (Host: {}) with {}, expected {} (gunicorn_health_path, "
            "gunicorn_health_status)".format(
                request["release_id"],
                health["path"],
                health["host"],
                status,
                " or ".join(str(s) for s in health.get("status") or []) or "a status below 500",
            ),
            output,
        )


def _ask(
    proc: subprocess.Popen, sock_path: str, health: dict[str, Any], deadline: float
) -> int | None:
    """The status of GET health path once the candidate answers; None if it exits or time is up.

    One request, read in short waits: the socket is ours, so the request is accepted (queued)
    even before a worker is up, and a candidate that dies must end the wait at once."""
    request = "GET {} HTTP/1.0\r\nHost: {}\r\n\r\n".format(health["path"], health["host"])
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(0.5)
        conn.connect(sock_path)
        conn.sendall(request.encode("latin-1"))
        answer = b""
        while time.monotonic() < deadline and b"\r\n" not in answer:
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                if proc.poll() is not None:
                    return None
                continue
            if not chunk:  # the worker closed the connection without an answer
                return None
            answer += chunk
    try:
        return int(answer.split(b"\r\n", 1)[0].split()[1])
    except (IndexError, ValueError):
        return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(request: dict[str, Any]) -> dict[str, Any]:
    """The answer for one request (see the module's docstring): its phases in order, the first
    refusal ends it."""
    with tempfile.TemporaryDirectory(prefix="flaskstack-gate-") as directory:
        try:
            for phase in request["phases"]:
                if phase == "import":
                    # `current` may not exist yet (a first deploy): Gunicorn checks chdir exists.
                    chdir = "\nchdir = {}\n".format(json.dumps(request["release_dir"]))
                    cfg = _load_config(request, _write_config(request, directory, chdir))
                    _import_app(request, cfg)
                elif phase == "serve":
                    _serve(request, directory)
                else:
                    raise Refused("", f"unknown phase {phase!r}")
        except Refused as refused:
            return refused.answer
    return {"ok": True, "variable": "", "problem": "", "detail": ""}


def main() -> None:
    request = json.loads(sys.stdin.read())
    # What the app prints while it is imported must not mix with the answer.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        answer = run(request)
    except Exception:
        answer = {
            "ok": False,
            "variable": "",
            "problem": "the gate itself failed",
            "detail": _exception_text(),
        }
    finally:
        sys.stdout = real_stdout
    print(MARKER + json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
