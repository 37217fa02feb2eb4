"""The SPA's committed API types match the services: the OpenAPI documents and the TypeScript made from them."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "web" / "scripts" / "api_types.py"
STALE = "is stale: run `make api-types` and commit the result"


def _load_script() -> ModuleType:
    """web/scripts/api_types.py, the generator `make api-types` runs (a script, not a package)."""
    spec = importlib.util.spec_from_file_location("web_api_types", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


api_types = _load_script()
SERVICES = list(api_types.APPS)


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_document_is_current(service: str) -> None:
    committed = api_types.openapi_path(service)
    assert committed.exists(), f"{committed} is missing: run `make api-types`"
    assert committed.read_text(encoding="utf-8") == api_types.openapi_json(service), f"{committed} {STALE}"


@pytest.mark.parametrize("service", SERVICES)
def test_generated_typescript_is_current(service: str, tmp_path: Path) -> None:
    committed = api_types.typescript_path(service)
    assert committed.exists(), f"{committed} is missing: run `make api-types`"
    fresh = tmp_path / committed.name
    api_types.write_typescript(api_types.openapi_path(service), fresh)
    assert committed.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), f"{committed} {STALE}"
