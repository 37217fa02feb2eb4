"""The auth service's ASGI application."""

import structlog
from fastapi import FastAPI

from microshop.auth.cleanup import cleanup_hook
from microshop.auth.config import AuthSettings
from microshop.auth.email import Mailer, mail_hook
from microshop.auth.notifications.jobs import order_emails_hook
from microshop.auth.tokens.keys import SigningKeys
from microshop.auth.tokens.router import client_credentials_router
from microshop.auth.tokens.router import router as tokens_router
from microshop.auth.users.router import router as users_router
from microshop.common.service import create_service_app

log = structlog.get_logger(__name__)


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    """Build the auth service (a missing signing key in production fails here, naming the setting)."""
    settings = settings or AuthSettings()
    keys = SigningKeys.from_settings(settings)
    app = create_service_app(
        settings,
        title="microshop auth",
        description="Users, verification codes, login and tokens.",
        routers=[users_router, tokens_router],
        own_auth_routers=[client_credentials_router],
        # Auth sends every outgoing email, order emails included (docs/architecture.md#outgoing-email).
        hooks=[cleanup_hook, mail_hook, order_emails_hook(settings)],
        token_verifier=lambda _: keys.verifier(settings),
    )
    if settings.is_production and settings.smtp_host is None:
        log.warning(
            "smtp_not_configured",
            detail="SMTP_HOST is unset: verification codes and order emails are written to this log",
        )
    app.state.signing_keys = keys
    app.state.mailer = Mailer(settings)
    return app
