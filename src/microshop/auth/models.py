"""Tables of the auth service, all in the `auth` schema."""

from microshop.auth.base import Base

# Every model module, so Alembic and the mappers see all tables.
from microshop.auth.codes import models as _codes  # noqa: F401
from microshop.auth.notifications import models as _notifications  # noqa: F401
from microshop.auth.ratelimit import models as _ratelimit  # noqa: F401
from microshop.auth.tokens import models as _tokens  # noqa: F401
from microshop.auth.users import models as _users  # noqa: F401

__all__ = ["Base"]
