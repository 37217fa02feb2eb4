"""`microshop create-admin` (and the demo accounts): verified accounts made straight in the auth database."""

from pydantic import ValidationError

from microshop.auth.config import AuthSettings
from microshop.auth.users import service
from microshop.auth.users.schemas import AdminCreate
from microshop.common.db import create_engine, make_sessionmaker
from microshop.common.errors import AppError
from microshop.common.security import ROLE_ADMIN


class AdminError(RuntimeError):
    """The admin could not be made; the message says why."""


async def create_admin(
    settings: AuthSettings, *, email: str, password: str, username: str | None = None, name: str | None = None
) -> str:
    """Create a verified admin, or promote the account with this email; returns a one-line summary."""
    return await create_account(settings, role=ROLE_ADMIN, email=email, password=password, username=username, name=name)


async def create_account(
    settings: AuthSettings,
    *,
    role: str,
    email: str,
    password: str,
    username: str | None = None,
    name: str | None = None,
) -> str:
    """Create a verified account with `role` (or verify/promote the existing one); returns a summary line."""
    try:
        data = AdminCreate(email=email, password=password, username=username, name=name)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in exc.errors())
        raise AdminError(problems) from None
    engine = create_engine(settings.database_url, pool_size=1, application_name="microshop-create-admin")
    try:
        async with make_sessionmaker(engine).begin() as session:
            try:
                user, created = await service.create_verified(
                    session,
                    settings=settings,
                    role=role,
                    email=data.email,
                    password=data.password,
                    username=data.username,
                    name=data.name,
                )
            except AppError as exc:
                raise AdminError(exc.message) from None
    finally:
        await engine.dispose()
    action = "created" if created else ("promoted" if role == ROLE_ADMIN else "updated")
    return f"{user.role} {action}: id={user.id} email={user.email} username={user.username}"
