"""Write requirements-runtime.lock: the services' runtime closure, pinned as in requirements.lock.

The service image installs only this file, so it carries none of the dev and test tools
(playwright, schemathesis, kubectl, hadolint, matplotlib, ...). Run through `make lock-runtime`.
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = "# The services' runtime closure, pinned as in requirements.lock (regenerate: make lock-runtime).\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
             "--report", str(report), "-c", "requirements.lock", "."],
            cwd=ROOT, check=True,
        )  # fmt: skip
        installs = json.loads(report.read_text())["install"]
    pins = sorted(
        f"{item['metadata']['name']}=={item['metadata']['version']}"
        for item in installs
        if item["metadata"]["name"] != "microshop"
    )
    (ROOT / "requirements-runtime.lock").write_text(HEADER + "\n".join(pins) + "\n")


if __name__ == "__main__":
    main()
