"""Wire shapes of login, refresh, logout and the client-credentials grant."""

from pydantic import BaseModel, Field

from microshop.auth.validation import EmailLookup, LoginPassword


class LoginRequest(BaseModel):
    """The seed's login body."""

    email: EmailLookup
    password: LoginPassword


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="Seconds the access token is valid")


class ServiceToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class JsonWebKey(BaseModel):
    kty: str
    n: str
    e: str
    kid: str
    use: str
    alg: str


class JsonWebKeySet(BaseModel):
    keys: list[JsonWebKey]
