"""The stand-ins for the official base images, built once per machine and reused by content hash.

This machine cannot pull from Docker Hub, so the container test builds local images under the
official names the Dockerfiles and compose.yaml use (`python:3.11-slim-bookworm`, ...), each from
tests/containers/standins/<name>/ on a Debian 12 root filesystem made by `debootstrap` and trusting
this machine's CA bundle. An official image already present is used as it is. Every stand-in
carries the hash of what made it (its folder, the base's recipe, the CA bundle) and is rebuilt
only when that changes. Nothing outside this test builds or uses them;
`python -m tests.containers.images` builds them alone.
"""

import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.deploy.support import compose, instructions

STANDINS = Path(__file__).resolve().parent / "standins"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BASE = "microshop-standin/debian:bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP = ("debootstrap", "--variant=minbase", "--include=ca-certificates", "bookworm")
LABEL = "org.microshop.standin-hash"
ROOTFS_DIR = Path("/var/tmp")  # on disk, not a tmpfs: the root filesystem is about 200 MB

# The folder under standins/ that makes each official image, by the name microshop's files use.
OFFICIAL = {
    "python:3.11-slim-bookworm": "python",
    "node:22-bookworm-slim": "node",
    "nginxinc/nginx-unprivileged:1.28-alpine": "nginx",
    "postgres:16-alpine": "postgres",
    "nats:2.11-alpine": "nats",
    "axllent/mailpit:v1.27": "mailpit",
}


@dataclass(frozen=True)
class Built:
    image: str
    seconds: float
    reused: bool


def digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())
    return hasher.hexdigest()[:16]


def folder_digest(folder: Path) -> bytes:
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    return b"".join(
        f"{path.relative_to(folder)}:{path.stat().st_mode & 0o111:o}:".encode() + path.read_bytes() for path in files
    )


def base_hash() -> str:
    return digest(" ".join((*DEBOOTSTRAP, DEBIAN_MIRROR)).encode(), CA_BUNDLE.read_bytes())


def standin_hash(folder: str) -> str:
    return digest(base_hash().encode(), folder_digest(STANDINS / folder))


def current_hash(image: str) -> str | None:
    result = subprocess.run(
        ["docker", "image", "inspect", "--format", f'{{{{ index .Config.Labels "{LABEL}" }}}}', image],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() if result.returncode == 0 else None


def run(args: list[str], *, stdin: IO[bytes] | None = None, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(args, stdin=stdin, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args[:4])} ... failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


def build_base() -> Built:
    """Debian 12 (debootstrap minbase) with this machine's CA bundle, imported as an image."""
    wanted = base_hash()
    started = time.monotonic()
    if current_hash(BASE) == wanted:
        return Built(BASE, time.monotonic() - started, reused=True)
    with tempfile.TemporaryDirectory(prefix="microshop-standin-", dir=ROOTFS_DIR) as work:
        rootfs = Path(work) / "rootfs"
        run([*DEBOOTSTRAP, str(rootfs), DEBIAN_MIRROR])
        shutil.copyfile(CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (rootfs / cache).glob("*"):
                if entry.is_file():
                    entry.unlink()
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "--exclude=./proc/*", "--exclude=./sys/*", "-c", "."], stdout=subprocess.PIPE
        )
        run(
            [
                "docker",
                "import",
                "--change",
                f"LABEL {LABEL}={wanted}",
                "--change",
                "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "--change",
                'CMD ["bash"]',
                "-",
                BASE,
            ],
            stdin=tar.stdout,
        )
        tar.wait()
    return Built(BASE, time.monotonic() - started, reused=False)


def build_standin(image: str) -> Built:
    folder = OFFICIAL[image]
    wanted = standin_hash(folder)
    started = time.monotonic()
    found = current_hash(image)
    if found == wanted or found in ("", "<no value>"):  # this stand-in, or the official image itself
        return Built(image, time.monotonic() - started, reused=True)
    # The classic builder: the stand-ins use nothing BuildKit adds, and it needs no other image.
    run(
        ["docker", "build", "--label", f"{LABEL}={wanted}", "-t", image, str(STANDINS / folder)],
        env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/local/bin:/usr/bin:/bin"},
    )
    return Built(image, time.monotonic() - started, reused=False)


DOCKERFILES = ("Dockerfile.service", "Dockerfile.web")


def base_images(dockerfile: str) -> list[str]:
    """The registry images a Dockerfile's stages start from, in order (ARG defaults applied)."""
    steps = instructions(dockerfile)
    defaults = dict(args.split("=", 1) for keyword, args in steps if keyword == "ARG" and "=" in args)
    stages = {args.split()[-1] for keyword, args in steps if keyword == "FROM" and " AS " in args.upper()}
    sources = [
        defaults.get(args.split()[0].strip("${}"), args.split()[0]) for keyword, args in steps if keyword == "FROM"
    ]
    return [source for source in sources if source not in stages]


def external_images() -> set[str]:
    """Every image microshop's Dockerfiles and compose.yaml take from a registry."""
    names = {service["image"] for service in compose()["services"].values() if "build" not in service}
    return names.union(*(base_images(dockerfile) for dockerfile in DOCKERFILES))


def build_all() -> list[Built]:
    missing = external_images() - set(OFFICIAL)
    if missing:
        raise RuntimeError(f"no stand-in under {STANDINS} for {sorted(missing)}: add one")
    return [build_base(), *(build_standin(image) for image in OFFICIAL)]


if __name__ == "__main__":
    for built in build_all():
        print(f"{built.image}: {'reused' if built.reused else 'built'} in {built.seconds:.1f} s", file=sys.stderr)
