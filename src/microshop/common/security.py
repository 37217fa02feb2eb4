"""Verifying the bearer tokens Auth issues, and the dependencies that guard routes."""

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Protocol, TypeVar

import httpx
import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from microshop.common.errors import Forbidden, Responses, ServiceUnavailable, Unauthorized, error_response_schema

log = structlog.get_logger(__name__)

ROLE_ADMIN, ROLE_USER, ROLE_SERVICE = "admin", "user", "service"
LEEWAY_SECONDS = 5
GuardT = TypeVar("GuardT", bound=Callable[..., Any])


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (with `user_id`) or a service client (role `service`)."""

    subject: str
    role: str
    user_id: int | None
    claims: dict[str, Any] = field(repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def is_service(self) -> bool:
        return self.role == ROLE_SERVICE

    @property
    def actor(self) -> str:
        """How a ledger names this caller: `user:<id>` or `service:<client id>`."""
        return f"service:{self.subject}" if self.is_service else f"user:{self.user_id}"


def token_claims(
    *, subject: str, role: str, user_id: int | None, lifetime: timedelta, issuer: str, audience: str
) -> dict[str, Any]:
    """The claims Auth signs and `TokenVerifier` requires: the seed's plus iat, iss, aud and jti."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + lifetime,
        "iss": issuer,
        "aud": audience,
        "jti": uuid.uuid4().hex,
    }
    if user_id is not None:
        claims["user_id"] = user_id
    return claims


class InvalidToken(Unauthorized):
    code = "invalid_token"


class ExpiredToken(Unauthorized):
    code = "token_expired"


class KeySource(Protocol):
    async def key_for(self, kid: str | None) -> Any: ...


class StaticKey:
    """One key for every token: the HS256 shared secret, or a pinned RS256 public key."""

    def __init__(self, key: Any) -> None:
        self.key = key

    async def key_for(self, kid: str | None) -> Any:
        return self.key


class JwksKeys:
    """Auth's published keys: fetched on first use, cached, refetched when a `kid` is unknown."""

    MIN_REFRESH_INTERVAL = 30.0  # an unknown kid cannot make us hammer Auth

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self.url = url
        self.client = client
        self.keys: dict[str, Any] = {}
        self.fetched_at = float("-inf")

    async def key_for(self, kid: str | None) -> Any:
        if kid is None:
            raise InvalidToken("Token has no key id")
        if kid not in self.keys and time.monotonic() - self.fetched_at >= self.MIN_REFRESH_INTERVAL:
            await self._refresh()
        try:
            return self.keys[kid]
        except KeyError:
            raise InvalidToken("Token signed by an unknown key") from None

    async def _refresh(self) -> None:
        try:
            response = await self.client.get(self.url)
            response.raise_for_status()
            jwk_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, jwt.PyJWKSetError, ValueError) as exc:
            log.warning("jwks_unavailable", url=self.url, error=str(exc))
            if not self.keys:
                raise ServiceUnavailable("Cannot verify tokens: the auth service's keys are unreachable") from exc
            return
        self.keys = {key.key_id: key.key for key in jwk_set.keys if key.key_id}
        self.fetched_at = time.monotonic()


class TokenVerifier:
    """Checks signature (algorithm pinned), `exp`, `iss` and `aud`; returns the caller.

    A token that verified is remembered (by its exact text) until it expires, so a client
    sending the same token again skips the RSA check; `exp` is still enforced on every call.
    """

    CACHE_SIZE = 4096

    def __init__(self, *, algorithm: str, issuer: str, audience: str, keys: KeySource) -> None:
        self.algorithm = algorithm
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self._verified: OrderedDict[str, Principal] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None:
            if cached.claims["exp"] + LEEWAY_SECONDS > time.time():
                self._verified.move_to_end(token)
                return cached
            del self._verified[token]
        principal = await self._verify_signature_and_claims(token)
        self._verified[token] = principal
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)
        return principal

    async def _verify_signature_and_claims(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("Malformed token") from None
        if header.get("alg") != self.algorithm:
            raise InvalidToken("Token algorithm not accepted")
        key = await self.keys.key_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "role", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise ExpiredToken("Token expired") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"Invalid token: {exc}") from None
        user_id = claims.get("user_id")
        if claims["role"] != ROLE_SERVICE and not isinstance(user_id, int):
            raise InvalidToken("Invalid token: user tokens carry an integer user_id")
        return Principal(subject=str(claims["sub"]), role=str(claims["role"]), user_id=user_id, claims=claims)


def verifier_from_settings(settings: Any, client: httpx.AsyncClient) -> TokenVerifier:
    """HS256 with the shared secret, or RS256 with a pinned public key or Auth's JWKS."""
    keys: KeySource
    if settings.jwt_algorithm == "HS256":
        keys = StaticKey(settings.jwt_secret)
    elif settings.jwt_public_key:
        keys = StaticKey(settings.jwt_public_key)
    else:
        keys = JwksKeys(settings.jwks_url, client)
    return TokenVerifier(
        algorithm=settings.jwt_algorithm, issuer=settings.jwt_issuer, audience=settings.jwt_audience, keys=keys
    )


bearer_scheme = HTTPBearer(auto_error=False, description="An access token from the auth service")

# What each guard below can answer, for the OpenAPI document of the routes that depend on it
# (`common/routing.py` adds them to each route).
_GUARD_RESPONSES: dict[Callable[..., Any], Responses] = {}
_UNAUTHORIZED: Responses = {401: error_response_schema("Missing, invalid or expired token")}


def _answers(responses: Responses) -> Callable[[GuardT], GuardT]:
    def register(guard: GuardT) -> GuardT:
        _GUARD_RESPONSES[guard] = responses
        return guard

    return register


def guard_responses(guard: Callable[..., Any]) -> Responses:
    """The 401 and 403 `guard` can answer ({} for a dependency that is no guard)."""
    return _GUARD_RESPONSES.get(guard, {})


@_answers(_UNAUTHORIZED)
async def optional_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Principal | None:
    """The caller if a token was sent. A token that is sent must be valid, on every route."""
    if credentials is None:
        if request.headers.get("authorization"):
            raise InvalidToken("Authorization header must be 'Bearer <token>'")
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verifier.verify(credentials.credentials)


@_answers(_UNAUTHORIZED)
async def current_principal(principal: Annotated[Principal | None, Depends(optional_principal)]) -> Principal:
    """The caller; 401 without a token."""
    if principal is None:
        raise Unauthorized("Authentication required")
    return principal


def require_role(*roles: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency that lets only the given roles through (403 for the others)."""

    async def dependency(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"This action requires role {' or '.join(roles)}")
        return principal

    return _answers({**_UNAUTHORIZED, 403: error_response_schema(f"Needs role {' or '.join(roles)}")})(dependency)


@_answers({**_UNAUTHORIZED, 403: error_response_schema("Not a user (service tokens are refused)")})
async def current_user(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """A person (user or admin), not a service client."""
    if principal.is_service:
        raise Forbidden("This action is for users")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
AnyCaller = Annotated[Principal, Depends(current_principal)]
CurrentUser = Annotated[Principal, Depends(current_user)]
# One function each, so a route-level `dependencies=[Depends(require_admin)]` (checked before the
# route reads its body) and an `AdminUser` parameter are the same dependency, run once.
require_admin = require_role(ROLE_ADMIN)
AdminUser = Annotated[Principal, Depends(require_admin)]
ServiceOrAdmin = Annotated[Principal, Depends(require_role(ROLE_SERVICE, ROLE_ADMIN))]
