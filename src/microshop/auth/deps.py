"""Dependencies shared by the auth routers: the settings, the signing keys, the client's address."""

import ipaddress
from typing import Annotated

from fastapi import Depends, Request

from microshop.auth.config import AuthSettings
from microshop.auth.email import Outbox, get_outbox
from microshop.auth.tokens.keys import SigningKeys


def get_settings(request: Request) -> AuthSettings:
    return request.app.state.settings


def get_keys(request: Request) -> SigningKeys:
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


def client_address(request: Request) -> str:
    """The peer, or the first untrusted hop of X-Forwarded-For when the peer is a trusted proxy."""
    settings: AuthSettings = request.app.state.settings
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    if not forwarded or not _is_trusted(peer, settings.trusted_proxies):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, settings.trusted_proxies):
            return hop[:100]
    return hops[0][:100] if hops else peer


SettingsDep = Annotated[AuthSettings, Depends(get_settings)]
KeysDep = Annotated[SigningKeys, Depends(get_keys)]
ClientAddress = Annotated[str, Depends(client_address)]
OutboxDep = Annotated[Outbox, Depends(get_outbox)]
