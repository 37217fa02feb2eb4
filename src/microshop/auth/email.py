"""Sending one-time codes: real SMTP (aiosmtplib) when SMTP_HOST is set, else (and in dev, also) the log."""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import structlog
from fastapi import BackgroundTasks, FastAPI, Request

from microshop.auth.config import AuthSettings, SmtpSecurity

log = structlog.get_logger(__name__)

SUBJECTS = {
    "verify": "Tu código de verificación",
    "reset": "Tu código para restablecer la contraseña",
}
LOG_EVENTS = {"verify": "verification_code", "reset": "password_reset_code"}


class Mailer:
    """Delivers codes; a failure is logged, never raised (the user can ask for a new code)."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings
        self._sending: set[asyncio.Task[None]] = set()  # held until done, so none is collected mid-send

    def send_in_background(self, delivery: Coroutine[Any, Any, None]) -> None:
        """Send apart from any request: for mail that goes out even when the request answers an error."""
        task = asyncio.create_task(delivery)
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def drain(self) -> None:
        """Wait for mail still being sent (at shutdown)."""
        await asyncio.gather(*self._sending, return_exceptions=True)

    def message(self, *, to: str, code: str, purpose: str) -> EmailMessage:
        minutes = self.settings.code_ttl_minutes
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = to
        message["Subject"] = f"{SUBJECTS[purpose]}: {code}"
        message.set_content(
            f"Tu código es {code}\n\nCaduca en {minutes} minutos. Si no lo pediste, ignora este correo."
        )
        return message

    def budget_notice(self, *, to: str, purpose: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.smtp_from
        message["To"] = to
        message["Subject"] = "Demasiados códigos erróneos en tu cuenta"
        message.set_content(
            f"Alguien ha introducido demasiados códigos erróneos ({purpose}) para tu cuenta. Los códigos "
            "quedan bloqueados durante un tiempo. Si no fuiste tú, tu contraseña sigue siendo segura."
        )
        return message

    async def send_code(self, *, to: str, code: str, purpose: str) -> None:
        """Send (or log) one code."""
        if self.settings.log_codes:
            # One plain line, easy to grep: `verification_code email=... code=123456`.
            log.info(f"{LOG_EVENTS[purpose]} email={to} code={code}")
        await self._deliver(self.message(to=to, code=code, purpose=purpose), purpose=purpose)

    async def send_budget_notice(self, *, to: str, purpose: str) -> None:
        """Tell the owner that codes for their account are refused for a while."""
        log.warning("code_budget_exhausted", purpose=purpose)
        await self._deliver(self.budget_notice(to=to, purpose=purpose), purpose=f"{purpose}_budget")

    async def _deliver(self, message: EmailMessage, *, purpose: str) -> None:
        if self.settings.smtp_host is None:
            return
        try:
            await deliver(self.settings, message)
        except (aiosmtplib.SMTPException, OSError, DeliveryUnknown) as exc:
            log.warning("email_failed", purpose=purpose, error=str(exc) or type(exc).__name__)
        else:
            log.info("email_sent", purpose=purpose)


class DeliveryUnknown(Exception):
    """The message was sent but the server's answer was lost: it may or may not have accepted it."""


class _Smtp(aiosmtplib.SMTP):
    """An SMTP client that knows whether the message itself went out (DATA), to tell a refusal from a lost reply."""

    data_sent = False

    async def data(self, message: str | bytes, /, **kwargs: Any) -> aiosmtplib.SMTPResponse:
        self.data_sent = True
        return await super().data(message, **kwargs)


async def deliver(settings: AuthSettings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server (SMTP_HOST must be set).

    Raises `aiosmtplib.SMTPException` or `OSError` when the server refused it or it was never sent,
    and `DeliveryUnknown` when the connection was lost once the message had gone out.
    """
    assert settings.smtp_host is not None
    smtp = _Smtp(
        hostname=settings.smtp_host,
        port=settings.effective_smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        use_tls=settings.smtp_security is SmtpSecurity.TLS,
        # aiosmtplib's default (None) upgrades only if offered; starttls must be required, none never.
        start_tls=settings.smtp_security is SmtpSecurity.STARTTLS,
        timeout=settings.smtp_timeout,
    )
    try:
        async with smtp:
            await smtp.send_message(message)
    except aiosmtplib.SMTPResponseException:  # the server answered no, to the message or before it
        raise
    except (aiosmtplib.SMTPException, OSError) as exc:
        if smtp.data_sent:
            raise DeliveryUnknown(str(exc) or type(exc).__name__) from exc
        raise


@dataclass
class Outbox:
    """Codes to send once the response is out, so the rows they refer to are committed first."""

    background: BackgroundTasks
    mailer: Mailer

    def send_code(self, *, to: str, code: str, purpose: str) -> None:
        self.background.add_task(self.mailer.send_code, to=to, code=code, purpose=purpose)


@asynccontextmanager
async def mail_hook(app: FastAPI) -> AsyncIterator[None]:
    """At shutdown, mail still being sent in the background is finished first."""
    yield
    await app.state.mailer.drain()


async def get_outbox(request: Request, background: BackgroundTasks) -> Outbox:
    return Outbox(background=background, mailer=request.app.state.mailer)
