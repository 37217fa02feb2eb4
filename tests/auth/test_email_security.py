"""SMTP transport security: STARTTLS by default, plain only when asked, never with a password in production."""

import pytest
from pydantic import ValidationError

from microshop.auth.config import AuthSettings
from microshop.auth.email import Mailer
from tests.support.apps import make_settings
from tests.support.mailbox import Mailbox


class TestSmtpSecuritySetting:
    @pytest.mark.parametrize(("security", "port"), [(None, 587), ("starttls", 587), ("tls", 465), ("none", 25)])
    def test_each_mode_has_its_standard_port(self, security: str | None, port: int) -> None:
        overrides = {"smtp_host": "mail.example"} | ({"smtp_security": security} if security else {})
        assert make_settings(AuthSettings, **overrides).effective_smtp_port == port

    def test_production_refuses_a_password_over_plain_smtp(self, auth_private_pem: str) -> None:
        with pytest.raises(ValidationError, match="SMTP_SECURITY"):
            make_settings(
                AuthSettings,
                environment="production",
                jwt_private_key=auth_private_pem,
                service_clients={"products-service": "a-real-secret-for-production-use"},
                smtp_host="mail.example",
                smtp_username="shop",
                smtp_password="secret",
                smtp_security="none",
            )


class TestMailerTransport:
    async def test_default_requires_starttls_so_a_plain_server_gets_nothing(self, mailbox: Mailbox) -> None:
        settings = make_settings(AuthSettings, smtp_host=mailbox.host, smtp_port=mailbox.port)
        await Mailer(settings).send_code(to="starttls-required@example.com", code="123456", purpose="verify")
        assert mailbox.to("starttls-required@example.com") == []

    async def test_explicit_plain_mode_delivers_to_a_plain_server(self, mailbox: Mailbox) -> None:
        settings = make_settings(AuthSettings, smtp_host=mailbox.host, smtp_port=mailbox.port, smtp_security="none")
        await Mailer(settings).send_code(to="plain-ok@example.com", code="654321", purpose="verify")
        assert mailbox.last_code("plain-ok@example.com") == "654321"
