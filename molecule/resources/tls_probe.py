#!/usr/bin/env python3
"""TLS client checks for the tests, run inside the test host against its own Nginx.

    tls_probe.py NAME CAFILE [--connect 127.0.0.1] [--port 443]
    tls_probe.py NAME CAFILE --loop SECONDS [--stop-file PATH] [--path /healthz]

Prints JSON: for each of TLS 1.0, 1.1, 1.2 and 1.3 whether a handshake with only that version
succeeds (and the error when not); the protocol chosen by ALPN when offering h2 and http/1.1;
the served leaf's SHA-256 fingerprint and serial; whether the chain verified against CAFILE for
NAME. Old versions are offered at OpenSSL security level 0, so a refusal comes from the server,
not from the client's own policy.

With --loop: GET the path over a new verified connection per request (HTTP/1.1, Connection:
close) until SECONDS pass or the stop file exists; print the number of requests, the failures and
the serials of the certificates served, in the order first seen.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import ssl
import time
import warnings

# TLS 1.0/1.1 are deprecated in Python's ssl module: offering them is the point here.
warnings.filterwarnings("ignore", category=DeprecationWarning)

VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def handshake(
    args: argparse.Namespace,
    version: ssl.TLSVersion | None = None,
    alpn: list[str] | None = None,
    verify: bool = True,
) -> dict:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        context.load_verify_locations(args.cafile)
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if version is not None:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = version
        context.maximum_version = version
    if alpn:
        context.set_alpn_protocols(alpn)
    try:
        with (
            socket.create_connection((args.connect, args.port), timeout=10) as sock,
            context.wrap_socket(sock, server_hostname=args.name) as tls,
        ):
            der = tls.getpeercert(binary_form=True) or b""
            peer = tls.getpeercert() if verify else {}
            return {
                "ok": True,
                "version": tls.version(),
                "alpn": tls.selected_alpn_protocol(),
                "sha256": hashlib.sha256(der).hexdigest(),
                "serial": (peer or {}).get("serialNumber"),
            }
    except (ssl.SSLError, OSError) as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def request_loop(args: argparse.Namespace) -> dict:
    context = ssl.create_default_context(cafile=args.cafile)
    deadline = time.monotonic() + args.loop
    requests, failures, serials = 0, [], []
    while time.monotonic() < deadline and not (args.stop_file and os.path.exists(args.stop_file)):
        requests += 1
        conn = http.client.HTTPSConnection(args.name, args.port, timeout=10, context=context)
        try:
            conn.request("GET", args.path, headers={"Connection": "close"})
            # Read before the response: http.client drops the socket of a closing response.
            serial = conn.sock.getpeercert()["serialNumber"] if conn.sock else None
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{time.time():.3f} HTTP {response.status}")
            if serial not in serials:
                serials.append(serial)
        except (OSError, http.client.HTTPException) as exc:
            failures.append(f"{time.time():.3f} {type(exc).__name__}: {exc}")
        finally:
            conn.close()
        time.sleep(args.interval)
    return {"requests": requests, "failures": failures, "serials": serials}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("cafile")
    parser.add_argument("--connect", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=443)
    parser.add_argument("--loop", type=float, default=0.0)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--stop-file", default=None)
    parser.add_argument("--path", default="/healthz")
    args = parser.parse_args()
    if args.loop > 0:
        print(json.dumps(request_loop(args), indent=2))
        return

    result = {
        "versions": {
            label: handshake(args, version, verify=False) for label, version in VERSIONS.items()
        },
        "verified": handshake(args, alpn=["h2", "http/1.1"]),
    }
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
