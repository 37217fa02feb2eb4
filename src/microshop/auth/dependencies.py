"""Dependencies shared by the auth routers: the settings, the signing keys, the client's address."""

import ipaddress
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from microshop.auth.config import AuthSettings
from microshop.auth.email import Outbox, get_outbox
from microshop.auth.tokens.keys import SigningKeys
from microshop.common.security import bearer_scheme, optional_principal
from microshop.common.settings import app_settings

SettingsDep = Annotated[AuthSettings, Depends(app_settings)]


async def basic_authorization(
    request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> str | None:
    """The Authorization header when it holds HTTP Basic client credentials (POST /token's own
    authentication); any other is checked as on every route: a sent bearer token must be valid."""
    authorization = request.headers.get("authorization")
    if authorization and authorization.lower().startswith("basic "):
        return authorization
    await optional_principal(request, bearer)
    return None


async def get_keys(request: Request) -> SigningKeys:
    return request.app.state.signing_keys


def _is_trusted(address: str, trusted: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def rate_limit_bucket(address: str) -> str:
    """What one client is counted as: an IPv4 address, an IPv6 /64 (one subscriber's usual share,
    so cycling through its addresses gains nothing), an IPv4-mapped IPv6 address as its IPv4."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


async def client_address(request: Request, settings: SettingsDep) -> str:
    """The rate-limit bucket of the client: the peer, or the first untrusted hop of
    X-Forwarded-For when the peer is a trusted proxy."""
    return rate_limit_bucket(_client_ip(request, settings))


def _client_ip(request: Request, settings: AuthSettings) -> str:
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if not forwarded or not _is_trusted(peer, settings.trusted_proxies):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, settings.trusted_proxies):
            return hop[:100]
    return hops[0][:100] if hops else peer


KeysDep = Annotated[SigningKeys, Depends(get_keys)]
ClientAddress = Annotated[str, Depends(client_address)]
OutboxDep = Annotated[Outbox, Depends(get_outbox)]
BasicAuthorization = Annotated[str | None, Depends(basic_authorization)]
