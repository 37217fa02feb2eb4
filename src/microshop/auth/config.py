"""Settings of the auth service."""

from microshop.common.settings import ServiceSettings, database_url_field, env_field


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    port: int = env_field(8000, "AUTH_PORT")
    database_url: str = database_url_field("auth")
