""".env.example documents exactly the settings the services read (and the runner's own)."""

import re
from pathlib import Path

from microshop.auth.config import AuthSettings
from microshop.common.settings import ServiceSettings
from microshop.inventory.config import InventorySettings
from microshop.products.config import ProductsSettings

RUNNER_SETTINGS = {"EMBEDDED_DB_PORT", "EMBEDDED_DB_DIR", "EMBEDDED_NATS_PORT", "EMBEDDED_NATS_DIR", "WEB_PORT"}
ENV_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


def environment_names(settings_class: type[ServiceSettings]) -> set[str]:
    names = set()
    for field in settings_class.model_fields.values():
        alias = field.validation_alias
        if alias is not None:
            names.update(str(choice) for choice in getattr(alias, "choices", [alias]))
    return names


def test_env_example_lists_every_setting_and_nothing_else() -> None:
    read = set().union(*(environment_names(cls) for cls in (AuthSettings, InventorySettings, ProductsSettings)))
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert documented - read - RUNNER_SETTINGS == set(), "documented but read by nothing"
    assert read - documented == set(), "read but not documented"
