"""Routes: login, refresh, logout, the client-credentials grant and the JWKS."""

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Form, Response, status

from microshop.auth.dependencies import BasicAuthorization, ClientAddress, KeysDep, SettingsDep
from microshop.auth.tokens import service
from microshop.auth.tokens.schemas import JsonWebKeySet, LoginRequest, RefreshRequest, ServiceToken, TokenPair
from microshop.common.db import SessionDep
from microshop.common.errors import AppError, Responses
from microshop.common.errors import error_response_schema as err
from microshop.common.routing import AuthDocumentedRoute, with_aliases

routes = APIRouter(route_class=AuthDocumentedRoute, tags=["tokens"])
# POST /token authenticates clients itself (HTTP Basic or form fields): no bearer check is added to it.
client_credentials_router = APIRouter(route_class=AuthDocumentedRoute, tags=["tokens"])

LOGIN_ERRORS: Responses = {
    401: err("Wrong email or password"),
    403: err("Account not verified"),
    422: err("Invalid input"),
    429: err("Too many attempts (see Retry-After)"),
}


class UnsupportedGrant(AppError):
    status_code, code = 400, "unsupported_grant_type"


@routes.post("/login", response_model=TokenPair, responses=LOGIN_ERRORS)
async def login(
    body: LoginRequest, session: SessionDep, settings: SettingsDep, keys: KeysDep, address: ClientAddress
) -> TokenPair:
    """Log in with email and password: an access token and a refresh token."""
    return await service.login(
        session, settings=settings, keys=keys, email=body.email, password=body.password, address=address
    )


@routes.post(
    "/token/refresh",
    response_model=TokenPair,
    responses={401: err("Invalid, expired, revoked or reused refresh token"), 422: err("Invalid input")},
)
async def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep, keys: KeysDep) -> TokenPair:
    """Exchange a refresh token for new tokens; the old refresh token stops working."""
    return await service.refresh(session, settings=settings, keys=keys, refresh_token=body.refresh_token)


@routes.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses={422: err("Invalid input")})
async def logout(body: RefreshRequest, session: SessionDep) -> Response:
    """Revoke the session of this refresh token."""
    await service.logout(session, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _basic_credentials(authorization: str | None) -> tuple[str | None, str | None]:
    """HTTP Basic client authentication (RFC 6749 2.3.1); id and secret are taken as sent, as common clients
    send them unencoded (a secret with `+` or `%` must not be mangled)."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise service.InvalidClient("Malformed Basic credentials") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise service.InvalidClient("Malformed Basic credentials")
    return client_id, secret


@client_credentials_router.post(
    "/token",
    response_model=ServiceToken,
    responses={
        400: err("Unsupported grant type"),
        401: err("Unknown client or wrong secret"),
        422: err("Invalid form fields"),
        429: err("Too many token requests from this address for this client (see Retry-After)"),
    },
)
async def client_token(
    basic_authorization: BasicAuthorization,
    session: SessionDep,
    settings: SettingsDep,
    keys: KeysDep,
    address: ClientAddress,
    grant_type: Annotated[str | None, Form(max_length=100)] = None,
    client_id: Annotated[str | None, Form(max_length=200)] = None,
    client_secret: Annotated[str | None, Form(max_length=500)] = None,
) -> ServiceToken:
    """OAuth2 client-credentials grant (form fields or HTTP Basic): a short-lived `service` token."""
    if grant_type != "client_credentials":
        raise UnsupportedGrant("grant_type must be client_credentials")
    basic_id, basic_secret = _basic_credentials(basic_authorization)
    if basic_id is not None:
        client_id, client_secret = basic_id, basic_secret
    return await service.client_credentials(
        session, settings=settings, keys=keys, client_id=client_id, client_secret=client_secret, address=address
    )


@routes.get("/.well-known/jwks.json", response_model=JsonWebKeySet, response_model_exclude_none=True)
async def jwks(keys: KeysDep, response: Response) -> dict[str, list[dict[str, str]]]:
    """The public keys tokens are signed with (the current one first)."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return keys.jwks()


router = with_aliases(routes, prefix="", alias_prefix="/users", paths={"/login"})
