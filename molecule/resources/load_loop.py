#!/usr/bin/env python3
"""Bounded HTTP load loop for the tests: GET a URL in a few threads until a stop file appears,
the time limit or the request limit is reached; write counts and failures as JSON.

    load_loop.py URL OUT.json [--host H] [--threads 4] [--max-seconds 120] [--max-requests 20000]
                 [--stop-file PATH] [--insecure]

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
    sent = 0

    def connect() -> http.client.HTTPConnection:
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
            conn = connect()
            try:
                conn.request("GET", path, headers={**headers, "Connection": "close"})
                response = conn.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    counts["error"] += 1
                    failures.append(f"{time.time():.3f} {type(exc).__name__}: {exc}")
                continue
            finally:
                conn.close()
            with lock:
                counts[str(status)] += 1
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
        "first_failures": failures[:20],
    }
    with open(args.out, "w") as fh:
        json.dump(result, fh)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
