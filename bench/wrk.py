"""Parse wrk's text output (wrk 4.x, run with --latency)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

_TIME_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
_LATENCY_PCT = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.M)
# wrk prints sizes with binary prefixes (1KB = 1024 B), headers and bodies as received.
_READ = re.compile(r"requests in [\d.]+\w+, ([\d.]+)([KMGT]?B) read", re.M)
_SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.M
)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)", re.M)


class WrkParseError(ValueError):
    """wrk printed something this parser does not understand."""


@dataclass(frozen=True)
class WrkResult:
    """One wrk run. Latencies in milliseconds; `errors` counts socket errors and non-2xx/3xx."""

    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    connect_errors: int = 0
    read_errors: int = 0
    write_errors: int = 0
    timeouts: int = 0
    non_2xx_3xx: int = 0
    bytes_read: int = 0  # headers and bodies, as wrk received them (3 significant digits)

    @property
    def errors(self) -> int:
        return (
            self.connect_errors
            + self.read_errors
            + self.write_errors
            + self.timeouts
            + self.non_2xx_3xx
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = self.errors
        data["bytes_per_req"] = self.bytes_read / self.requests if self.requests else None
        return data


def to_ms(value: str, unit: str) -> float:
    """Convert a wrk time (number and unit, e.g. "1.23", "ms") to milliseconds."""
    try:
        return float(value) * _TIME_UNITS[unit]
    except KeyError:
        raise WrkParseError(f"unknown time unit {unit!r}") from None


def parse_wrk(text: str) -> WrkResult:
    """Parse the output of `wrk --latency ...`; raise WrkParseError if it is not there."""
    rps = _RPS.search(text)
    requests = _REQUESTS.search(text)
    if not rps or not requests:
        raise WrkParseError("no 'Requests/sec' or 'N requests in' line in wrk output")
    latency = {pct: to_ms(value, unit) for pct, value, unit in _LATENCY_PCT.findall(text)}
    # wrk prints no latency distribution when no request completed at all.
    if int(requests.group(1)) > 0 and set(latency) != {"50", "75", "90", "99"}:
        raise WrkParseError("no latency distribution in wrk output (run wrk with --latency)")
    socket_errors = _SOCKET_ERRORS.search(text)
    connect, read, write, timeout = (
        (int(g) for g in socket_errors.groups()) if socket_errors else (0, 0, 0, 0)
    )
    non_2xx = _NON_2XX.search(text)
    size = _READ.search(text)
    nan = float("nan")
    return WrkResult(
        requests=int(requests.group(1)),
        duration_s=to_ms(requests.group(2), requests.group(3)) / 1e3,
        rps=float(rps.group(1)),
        p50_ms=latency.get("50", nan),
        p75_ms=latency.get("75", nan),
        p90_ms=latency.get("90", nan),
        p99_ms=latency.get("99", nan),
        connect_errors=connect,
        read_errors=read,
        write_errors=write,
        timeouts=timeout,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        bytes_read=round(float(size.group(1)) * _SIZE_UNITS[size.group(2)]) if size else 0,
    )
