"""kill -9 the Nginx master, then time until a *new* master answers HTTPS 200, without Ansible.

argv: unit, host name (SNI and Host), CA file, bound in seconds. Prints JSON with the old and
new MainPID, the last status and the seconds from the kill to the first 200 of the new master.
"""

import http.client
import json
import socket
import ssl
import subprocess
import sys
import time

unit, host, cafile, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])


def main_pid() -> int:
    out = subprocess.run(
        ["systemctl", "show", "-p", "MainPID", "--value", unit],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip() or 0)


def https_status() -> int:
    context = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection("127.0.0.1", 443, timeout=1, context=context)
    # SNI and certificate check against the site's name, connected to loopback.
    conn.sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", 443), timeout=1), server_hostname=host
    )
    conn.request("GET", "/healthz", headers={"Host": host})
    status = conn.getresponse().status
    conn.close()
    return status


old = main_pid()
subprocess.run(["kill", "-9", str(old)], check=True)
start = time.monotonic()
new, status = 0, 0
while time.monotonic() - start < limit * 3:
    try:
        new = main_pid()
        status = https_status() if new not in (0, old) else 0
    except (OSError, ValueError, http.client.HTTPException, subprocess.CalledProcessError):
        status = 0
    if status == 200:
        break
    time.sleep(0.1)
print(
    json.dumps(
        {
            "old_pid": old,
            "new_pid": new,
            "status": status,
            "seconds": round(time.monotonic() - start, 2),
        }
    )
)
