"""Routes: register, verify, resend, password reset, profile (`/users/register` and `/users/verify` are aliases)."""

from fastapi import APIRouter, status

from microshop.auth.dependencies import ClientAddress, OutboxDep, SettingsDep
from microshop.auth.users import service
from microshop.auth.users.schemas import (
    EmailRequest,
    MessageResponse,
    PasswordReset,
    RegisterResponse,
    UserCreate,
    UserRead,
    VerifyRequest,
)
from microshop.common.db import SessionDep
from microshop.common.errors import Responses
from microshop.common.errors import error_response_schema as err
from microshop.common.routing import AuthDocumentedRoute, with_aliases
from microshop.common.security import CurrentUser

routes = APIRouter(route_class=AuthDocumentedRoute, tags=["users"])

INVALID: Responses = {422: err("Invalid input"), 429: err("Rate limited (see Retry-After)")}
CODE_ERRORS: Responses = {**INVALID, 400: err("Wrong, expired or unknown code")}
ACCEPTED = "If the account exists, we sent a code"


@routes.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisterResponse,
    responses={409: err("Email or username already taken"), **INVALID},
)
async def register(
    body: UserCreate, session: SessionDep, settings: SettingsDep, outbox: OutboxDep, address: ClientAddress
) -> RegisterResponse:
    """Create an account (unverified) and email a 6-digit code."""
    user = await service.register(session, settings=settings, outbox=outbox, data=body, address=address)
    return RegisterResponse(user_id=user.id)


@routes.post("/verify", response_model=MessageResponse, responses=CODE_ERRORS)
async def verify(
    body: VerifyRequest, session: SessionDep, settings: SettingsDep, outbox: OutboxDep, address: ClientAddress
) -> MessageResponse:
    """Verify an account with the emailed code."""
    await service.verify(session, settings=settings, outbox=outbox, email=body.email, code=body.code, address=address)
    return MessageResponse(message="Cuenta verificada")


@routes.post("/verify/resend", status_code=202, response_model=MessageResponse, responses=INVALID)
async def resend_verification(
    body: EmailRequest, session: SessionDep, settings: SettingsDep, outbox: OutboxDep, address: ClientAddress
) -> MessageResponse:
    """Send a new verification code (the previous one still works until it expires)."""
    await service.resend_verification(session, settings=settings, outbox=outbox, email=body.email, address=address)
    return MessageResponse(message=ACCEPTED)


@routes.post("/password/forgot", status_code=202, response_model=MessageResponse, responses=INVALID)
async def forgot_password(
    body: EmailRequest, session: SessionDep, settings: SettingsDep, outbox: OutboxDep, address: ClientAddress
) -> MessageResponse:
    """Email a password-reset code; the answer is the same whether the account exists or not."""
    await service.forgot_password(session, settings=settings, outbox=outbox, email=body.email, address=address)
    return MessageResponse(message=ACCEPTED)


@routes.post("/password/reset", response_model=MessageResponse, responses=CODE_ERRORS)
async def reset_password(
    body: PasswordReset, session: SessionDep, settings: SettingsDep, outbox: OutboxDep, address: ClientAddress
) -> MessageResponse:
    """Set a new password with the emailed code; every session of the account is logged out."""
    await service.reset_password(
        session,
        settings=settings,
        outbox=outbox,
        email=body.email,
        code=body.code,
        new_password=body.new_password,
        address=address,
    )
    return MessageResponse(message="Contraseña actualizada")


@routes.get(
    "/me",
    response_model=UserRead,
    responses={404: err("The account no longer exists")},
)
async def me(principal: CurrentUser, session: SessionDep) -> UserRead:
    """The caller's profile."""
    assert principal.user_id is not None
    return UserRead.model_validate(await service.get_profile(session, user_id=principal.user_id))


router = with_aliases(routes, prefix="", alias_prefix="/users", paths={"/register", "/verify"})
