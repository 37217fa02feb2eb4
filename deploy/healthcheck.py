#!/usr/bin/env python3
"""Container healthcheck: GET /health (or the path given) on the port of the service this container serves.

The service is read from PID 1's command line (`microshop serve <service>`), and its port from the
service's own settings, so `AUTH_PORT` and friends are honoured. A container that serves nothing
(the one-shot `microshop migrate`) counts as healthy.
"""

import sys
import urllib.request
from pathlib import Path

SERVICES = ("auth", "products", "inventory")
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
    from microshop.operations import service_settings

    port = service_settings(service).port
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"{service} {path}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
