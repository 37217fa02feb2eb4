"""Settings of the products service."""

from microshop.common.settings import ServiceSettings, database_url_field, env_field


class ProductsSettings(ServiceSettings):
    service_name: str = "products"
    port: int = env_field(8001, "PRODUCTS_PORT")
    database_url: str = database_url_field("products")
