"""Try a TCP connection to each port of a host: prints JSON {port: "open"|"refused"|"timeout"}.

argv: host, timeout in seconds, ports. A dropped packet shows as "timeout", a reset as "refused".
"""

import json
import socket
import sys

host, timeout, ports = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
result = {}
for port in ports:
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            result[port] = "open"
    except ConnectionRefusedError:
        result[port] = "refused"
    except OSError:
        result[port] = "timeout"
print(json.dumps(result))
