"""Send N requests at once from this host, each on its own connection, and count the statuses.

argv: host name (Host header), path, count. Plain HTTP to 127.0.0.1:80. Prints JSON
{"statuses": {"200": n, "429": m, ...}}; a connection error counts as status "error".
"""

import http.client
import json
import sys
import threading
from collections import Counter

host, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
statuses: Counter[str] = Counter()
lock = threading.Lock()
start = threading.Barrier(count)


def get() -> None:
    conn = http.client.HTTPConnection("127.0.0.1", 80, timeout=30)
    try:
        conn.connect()
        start.wait()
        conn.request("GET", path, headers={"Host": host})
        status = str(conn.getresponse().status)
    except (OSError, http.client.HTTPException):
        status = "error"
    finally:
        conn.close()
    with lock:
        statuses[status] += 1


threads = [threading.Thread(target=get) for _ in range(count)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"statuses": dict(statuses)}))
