#!/usr/bin/env python3
"""Bounded HTTP load loop for the tests: GET a URL in a few threads until a stop file appears,
the time limit or the request limit is reached; write counts and failures as JSON.

    load_loop.py URL OUT.json [--host H] [--threads 4] [--max-seconds 120] [--max-requests 20000]
                 [--stop-file PATH] [--insecure] [--unix SOCKET] [--interval SECONDS]

With --unix the requests go through that unix socket (the URL gives the path and Host). Latency
of the answered requests is reported as p50/p99/max milliseconds. --interval makes each thread
pause between requests, so that the loop leaves CPU to what it observes on a small machine.

Every request opens a new connection: a reused keep-alive connection that the server closes
while idle (as Nginx does on a graceful reload) fails in http.client where browsers would retry,
and such a client-side race must not count as a failed request, nor hide a real one.

Only ever points at loopback or the test's own containers (the caller chooses the URL).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--host", default=None, help="Host header to send")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--max-requests", type=int, default=20000)
    parser.add_argument("--stop-file", default=None)
    parser.add_argument("--insecure", action="store_true")
    parser.add_argument("--unix", default=None, help="connect through this unix socket")
    parser.add_argument("--interval", type=float, default=0.0, help="pause per thread (s)")
    args = parser.parse_args()

    url = urllib.parse.urlsplit(args.url)
    path = url.path or "/"
    context = ssl._create_unverified_context() if args.insecure else ssl.create_default_context()
    headers = {"Host": args.host} if args.host else {}
    deadline = time.monotonic() + args.max_seconds
    lock = threading.Lock()
    counts: collections.Counter[str] = collections.Counter()
    releases: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    latencies: list[float] = []
    sent = 0

    def connect() -> http.client.HTTPConnection:
        if args.unix:
            return UnixHTTPConnection(args.unix)
        if url.scheme == "https":
            return http.client.HTTPSConnection(
                url.hostname, url.port or 443, timeout=10, context=context
            )
        return http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)

    def stop() -> bool:
        return (
            time.monotonic() > deadline
            or sent >= args.max_requests
            or (args.stop_file is not None and os.path.exists(args.stop_file))
        )

    def worker() -> None:
        nonlocal sent
        while True:
            with lock:
                if stop():
                    break
                sent += 1
            if args.interval > 0:
                time.sleep(args.interval)
            conn = connect()
            begin = time.monotonic()
            try:
                conn.request("GET", path, headers={**headers, "Connection": "close"})
                response = conn.getresponse()
                body = response.read()
                status = response.status
                elapsed = time.monotonic() - begin
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    counts["error"] += 1
                    failures.append(f"{time.time():.3f} {type(exc).__name__}: {exc}")
                continue
            finally:
                conn.close()
            with lock:
                counts[str(status)] += 1
                latencies.append(elapsed)
                if status != 200:
                    failures.append(f"{time.time():.3f} HTTP {status}")
                else:
                    with contextlib.suppress(ValueError):
                        releases[json.loads(body).get("release", "?")] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = {
        "requests": sent,
        "seconds": round(time.monotonic() - started, 2),
        "status": dict(counts),
        "failed": sum(n for k, n in counts.items() if k != "200"),
        "releases": dict(releases),
        "latency_ms": percentiles(latencies),
        "first_failures": failures[:20],
    }
    with open(args.out, "w") as fh:
        json.dump(result, fh)
    print(json.dumps(result))


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket (Gunicorn's socket, without Nginx in front)."""

    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p99 and max of latencies in seconds, as milliseconds (zeros when there are none)."""
    if not values:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50": at(0.50), "p99": at(0.99), "max": round(ordered[-1] * 1000, 1)}


if __name__ == "__main__":
    main()
