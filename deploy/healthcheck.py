#!/usr/bin/env python3
"""Container healthcheck: GET /health (or the path given) on the port of the service this container serves.

The service is read from PID 1's command line (`microshop serve <service>`), and its port from the
variable its settings read (`AUTH_PORT` and friends) or that setting's default. A container that
serves nothing (the one-shot `microshop migrate`) counts as healthy.

Standard library only, and the service is not imported: building its settings costs seconds of
imports, more than the HEALTHCHECK's timeout on a busy machine (seen: 2.7 s idle, over 5 s with the
load at 3 per core). tests/deploy/test_healthcheck.py holds PORTS to the settings classes.
"""

import os
import sys
import urllib.request
from pathlib import Path

# service → (the variable its `port` setting reads, that setting's default)
PORTS = {"auth": ("AUTH_PORT", 8000), "products": ("PRODUCTS_PORT", 8001), "inventory": ("INVENTORY_PORT", 8002)}
SERVICES = tuple(PORTS)
PID1_CMDLINE = Path("/proc/1/cmdline")


def served_service(cmdline: bytes) -> str | None:
    """The service after `serve` in a NUL-separated command line, if any."""
    args = cmdline.decode(errors="replace").split("\0")
    if "serve" in args:
        following = args[args.index("serve") + 1 :]
        return next((arg for arg in following if arg in SERVICES), None)
    return None


def main(argv: list[str], cmdline_file: Path = PID1_CMDLINE) -> int:
    path = argv[0] if argv else "/health"
    service = served_service(cmdline_file.read_bytes())
    if service is None:
        return 0
    variable, default = PORTS[service]
    port = int(os.environ.get(variable) or default)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{service} {path}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
