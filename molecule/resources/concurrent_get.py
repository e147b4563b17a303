"""Send N GETs at once from this host, each on its own connection; count the statuses, time them.

argv: target, path, count, [Host header]. The target is `unix:<socket path>` (a Gunicorn socket)
or `<address>:<port>` (plain HTTP). Prints JSON {"statuses": {"200": n, "429": m, ...},
"seconds": s}: a connection error counts as status "error"; seconds run from the moment all
connections are open to the last answer.
"""

import http.client
import json
import socket
import sys
import threading
import time
from collections import Counter

target, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
headers = {"Host": sys.argv[4]} if len(sys.argv) > 4 else {}
statuses: Counter[str] = Counter()
lock = threading.Lock()
start = threading.Barrier(count + 1)


class UnixConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(target.removeprefix("unix:"))


def connection() -> http.client.HTTPConnection:
    if target.startswith("unix:"):
        return UnixConnection("localhost", timeout=30)
    host, port = target.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=30)


def get() -> None:
    conn = connection()
    try:
        conn.connect()
        start.wait()
        conn.request("GET", path, headers=headers)
        status = str(conn.getresponse().status)
    except (OSError, http.client.HTTPException, threading.BrokenBarrierError):
        status = "error"
    finally:
        conn.close()
    with lock:
        statuses[status] += 1


threads = [threading.Thread(target=get) for _ in range(count)]
for thread in threads:
    thread.start()
start.wait()
began = time.monotonic()
for thread in threads:
    thread.join()
print(json.dumps({"statuses": dict(statuses), "seconds": round(time.monotonic() - began, 3)}))
