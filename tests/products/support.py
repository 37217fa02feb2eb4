"""What every products test package shares: the stand-in for the service tokens Products asks Auth for."""

from tests.support.tokens import TokenFactory


class FixedServiceTokens:
    """Stands in for `ServiceTokens`: always the token Auth's client-credentials grant would issue."""

    def __init__(self, tokens: TokenFactory) -> None:
        self.tokens = tokens

    async def get(self, *, renew: bool = False) -> str:
        return self.tokens.service()
