"""Settings of the inventory service."""

from microshop.common.settings import ServiceSettings, database_url_field, env_field


class InventorySettings(ServiceSettings):
    service_name: str = "inventory"
    port: int = env_field(8002, "INVENTORY_PORT")
    database_url: str = database_url_field("inventory")
