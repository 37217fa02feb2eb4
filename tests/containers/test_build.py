"""Both images build from the real Dockerfiles: cold, then warm (a source change, dependencies cached).

They are built by `docker-compose build` (1.29, the classic builder), as `up --build` builds them
in the flow that follows, which then starts from these layers.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.containers.images import base_images
from tests.containers.support import Report, docker, image_size_mb
from tests.deploy.support import ROOT, compose

# image → (its Dockerfile, a compose service building it, a source file whose change must not
# reinstall the dependencies)
IMAGES = {
    "microshop-service": ("Dockerfile.service", "migrate", "src/microshop/__init__.py"),
    "microshop-web": ("Dockerfile.web", "frontend", "web/src/main.ts"),
}
WARM_LIMIT_S = 180


def build(context: Path, service: str, tag: str) -> float:
    """`docker-compose build <service>` in `context`, the image tagged `tag` (MICROSHOP_TAG)."""
    started = time.monotonic()
    result = subprocess.run(
        ["docker-compose", "build", service],
        cwd=context,
        env={**os.environ, "MICROSHOP_TAG": tag},
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return time.monotonic() - started


def changed_copy(destination: Path, source_file: str) -> Path:
    """The build context with one source file changed (a comment appended)."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    for name in files.stdout.splitlines():
        source = ROOT / name
        if source.is_file() and not name.startswith(("web/node_modules/", "web/dist/")):
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    changed = destination / source_file
    comment = "#" if changed.suffix == ".py" else "//"
    changed.write_text(f"{changed.read_text()}\n{comment} a change for the warm build\n")
    return destination


@pytest.fixture(scope="module")
def no_layers() -> None:
    """Neither image nor any layer of theirs left from an earlier run: the builds below start cold.

    Once for both: a prune between them would drop the first image's build stage (dangling once
    built), and `up --build` would then rebuild it.
    """
    for _, service, _ in IMAGES.values():
        docker("rmi", "-f", compose()["services"][service]["image"], check=False)
    docker("image", "prune", "-f")


@pytest.mark.parametrize("image", list(IMAGES))
def test_image_builds_cold_then_warm_within_limits(image: str, report: Report, tmp_path: Path, no_layers: None) -> None:
    dockerfile, service, source_file = IMAGES[image]
    tag = compose()["services"][service]["image"]
    cold = build(ROOT, service, tag.split(":")[1])
    warm = build(changed_copy(tmp_path, source_file), service, "warm-check")
    docker("rmi", f"{image}:warm-check")
    runtime_base = base_images(dockerfile)[-1]
    size, own = image_size_mb(tag), image_size_mb(tag) - image_size_mb(runtime_base)
    report.add(
        f"{image} build", f"cold {cold:.0f} s, warm {warm:.0f} s; size {size} MB, {own:.1f} MB above {runtime_base}"
    )
    assert warm < WARM_LIMIT_S
