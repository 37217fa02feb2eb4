"""Tables of the auth service, all in the `auth` schema."""

from microshop.common.db import schema_base

Base = schema_base("auth")

# Every model module, so Alembic and the mappers see all tables.
from microshop.auth.codes import models as _codes  # noqa: E402, F401
from microshop.auth.ratelimit import models as _ratelimit  # noqa: E402, F401
from microshop.auth.tokens import models as _tokens  # noqa: E402, F401
from microshop.auth.users import models as _users  # noqa: E402, F401
