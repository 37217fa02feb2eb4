"""Loading what tests/deploy checks: compose.yaml, the rendered overlays, the settings' variable names."""

import base64
import os
import re
import subprocess
import sys
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = ROOT / "compose.yaml"
OVERLAYS = ("dev", "prod")
BIN = Path(sys.executable).parent
KUBERNETES_VERSION = "1.37.0"  # the newest schema set kubernetes-validate 1.37.0 ships

# Variables the containers set that no settings class reads, each with who reads it instead.
NON_SETTINGS_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR": "src/microshop/common/observability.py"}

_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}")


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of deploy/<dockerfile>, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / dockerfile).read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def final_stage(dockerfile: str) -> list[tuple[str, str]]:
    """The instructions of the image's last stage, its FROM included."""
    steps = instructions(dockerfile)
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def settings_class(service: str) -> type[BaseSettings]:
    """`AuthSettings`, `ProductsSettings`, ... as the CLI finds them."""
    return getattr(import_module(f"microshop.{service}.config"), f"{service.capitalize()}Settings")


def settings_variables(cls: type[BaseSettings]) -> set[str]:
    """Every environment variable a settings class reads (its fields' validation aliases)."""
    names: set[str] = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(name.upper())
    return names


def make_settings(service: str, env: dict[str, str | None]) -> BaseSettings:
    """The service's settings as its container would read them: this environment only, no `.env` file.

    A variable without a value (from an optional Secret that is absent) is not set.
    """
    present = {key: value for key, value in env.items() if value is not None}
    with mock.patch.dict(os.environ, present, clear=True):
        return settings_class(service)(_env_file=None)


def interpolate(value: Any) -> Any:
    """Compose's `${VAR:-default}` with the defaults (what a fresh checkout gets); `$$` is a `$`."""
    if isinstance(value, str):
        resolved = _INTERPOLATION.sub(lambda match: match.group("default") or "", value)
        return resolved.replace("$$", "$")
    if isinstance(value, list):
        return [interpolate(item) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item) for key, item in value.items()}
    return value


@cache
def compose_raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@cache
def compose() -> dict[str, Any]:
    """compose.yaml with its variables at their defaults."""
    return interpolate(compose_raw())


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def is_service_image(service: dict[str, Any]) -> bool:
    return (service.get("build") or {}).get("dockerfile") == "deploy/Dockerfile.service"


def served_service(args: list[str]) -> str | None:
    """`auth` for `serve auth --workers 2`; None for `migrate`."""
    return args[args.index("serve") + 1] if "serve" in args else None


@cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    """`kubectl kustomize` of one overlay, with the kubectl from the pinned wheel."""
    result = subprocess.run(
        [str(BIN / "kubectl"), "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def objects(overlay: str, kind: str) -> list[dict[str, Any]]:
    return [obj for obj in render(overlay) if obj["kind"] == kind]


def named(overlay: str, kind: str, name: str) -> dict[str, Any]:
    matches = [obj for obj in objects(overlay, kind) if obj["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name} in {overlay}: {len(matches)} found"
    return matches[0]


def workloads(overlay: str) -> list[dict[str, Any]]:
    return [obj for obj in render(overlay) if obj["kind"] in ("Deployment", "StatefulSet", "Job")]


def container_env(overlay: str, container: dict[str, Any]) -> dict[str, str | None]:
    """A container's variables, envFrom resolved against the rendered ConfigMaps and Secrets.

    A value from a Secret that the overlay does not render (prod's are created beforehand) is None.
    """
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(named(overlay, "ConfigMap", source["configMapRef"]["name"])["data"])
        else:
            secret = named(overlay, "Secret", source["secretRef"]["name"])
            env.update(dict.fromkeys(secret.get("data", {}), None))
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            env[item["name"]] = secret_value(overlay, item["valueFrom"]["secretKeyRef"])
    return env


def secret_value(overlay: str, ref: dict[str, Any]) -> str | None:
    secrets = [obj for obj in objects(overlay, "Secret") if obj["metadata"]["name"] == ref["name"]]
    if not secrets:
        return None
    return base64.b64decode(secrets[0]["data"][ref["key"]]).decode()
