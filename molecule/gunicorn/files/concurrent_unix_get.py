"""Send N GETs at once to a Gunicorn unix socket, each on its own connection; time them.

argv: socket path, request path, count. Prints JSON {"statuses": {"200": n, ...}, "seconds": s}:
the wall time from the moment all connections are open to the last answer.
"""

import http.client
import json
import socket
import sys
import threading
import time
from collections import Counter

sock_path, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
statuses: Counter[str] = Counter()
lock = threading.Lock()
start = threading.Barrier(count + 1)


class UnixConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(sock_path)


def get() -> None:
    conn = UnixConnection("localhost", timeout=30)
    try:
        conn.connect()
        start.wait()
        conn.request("GET", path)
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
