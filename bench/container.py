"""The bench container, driven with `docker exec`, and the protocol of bench/agent.py inside it.

Commands run with their own `docker exec`; agent commands go through one long-lived
`agent.py serve` session (a JSON argv per line in, a JSON reply per line out), and every agent
command prints its result as a JSON object on its last line.
"""

from __future__ import annotations

import json
import queue
import shlex
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
AGENT = "/usr/local/lib/flaskstack-bench/agent.py"


class BenchError(RuntimeError):
    """The bench cannot run (missing deployment, a server that does not answer, ...)."""


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


def prepare_container(box: Container, hosts: Sequence[str]) -> None:
    """Copy the agent in, install wrk, and make the site names resolve to the loopback."""
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
