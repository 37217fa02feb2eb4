"""A small service built with the common library alone, to test it without any real service."""

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from microshop.common.db import SessionDep, own_transaction
from microshop.common.errors import Conflict
from microshop.common.http import send
from microshop.common.observability import request_id_var
from microshop.common.security import AdminUser, CurrentUser, OptionalPrincipal
from microshop.common.service import create_service_app
from microshop.common.settings import ServiceSettings, database_url_field, env_field

router = APIRouter()


class SampleSettings(ServiceSettings):
    service_name: str = "sample"
    port: int = env_field(8099, "SAMPLE_PORT")
    database_url: str = database_url_field("sample")
    downstream_url: str | None = env_field(None, "SAMPLE_DOWNSTREAM_URL")


class Item(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    quantity: int = Field(ge=1, le=99)

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name == "reserved":
            raise ValueError("this name is reserved")
        return name


@router.get("/public")
async def public(principal: OptionalPrincipal) -> dict[str, object]:
    return {"caller": principal.subject if principal else None}


@router.get("/mine")
async def mine(user: CurrentUser) -> dict[str, object]:
    return {"user_id": user.user_id, "role": user.role}


@router.get("/admin-only")
async def admin_only(user: AdminUser) -> dict[str, object]:
    return {"user_id": user.user_id}


@router.post("/items", status_code=201)
async def create_item(item: Item) -> Item:
    return item


@router.get("/conflict")
async def conflict() -> None:
    raise Conflict("Already there", details={"id": 1})


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals")


@router.get("/db")
async def database_time(session: SessionDep) -> dict[str, str]:
    value = (await session.execute(text("SELECT current_database()"))).scalar_one()
    return {"database": value}


@router.get("/request-id")
async def seen_request_id(request: Request, hops: Annotated[int, Query(ge=0, le=3)] = 0) -> dict[str, object]:
    """Echo the request id this process sees, and what the downstream process saw."""
    downstream = None
    settings: SampleSettings = request.app.state.settings
    if hops and settings.downstream_url:
        response = await send(request.app.state.http, "GET", f"{settings.downstream_url}/request-id")
        downstream = response.json()
    return {"request_id": request_id_var.get(), "downstream": downstream}


@router.post("/lock/{first}/then/{second}")
async def lock_two_rows(first: int, second: int, item: Item, request: Request, session: SessionDep) -> Item:
    """Lock two rows of `sample_locks` in the order given; the first attempt of each waits for a partner.

    Two such requests in opposite orders deadlock for real; PostgreSQL aborts one of them.
    """
    attempts: list[int] = request.app.state.lock_attempts
    attempts.append(first)
    await session.execute(text("SET LOCAL deadlock_timeout = '50ms'"))
    await session.execute(text("SELECT 1 FROM sample_locks WHERE id = :id FOR UPDATE"), {"id": first})
    if attempts.count(first) == 1:
        await request.app.state.lock_partner.wait()
    await session.execute(text("SELECT 1 FROM sample_locks WHERE id = :id FOR UPDATE"), {"id": second})
    return item


@router.post("/raise/{sqlstate}")
async def raise_sqlstate(sqlstate: str, request: Request, session: SessionDep) -> None:
    """Make PostgreSQL itself fail the transaction with this SQLSTATE."""
    request.app.state.raise_attempts.append(sqlstate)
    await _fail_with(session, sqlstate)


async def _fail_with(session: AsyncSession, sqlstate: str) -> None:
    await session.execute(text(f"DO $$ BEGIN RAISE EXCEPTION 'sample' USING ERRCODE = '{sqlstate}'; END $$"))


@router.post("/commit-then-raise/{sqlstate}")
async def commit_then_raise(sqlstate: str, request: Request, session: SessionDep) -> None:
    """Commit a transaction of its own (as a rate-limit hit does), then fail the request's with this SQLSTATE."""
    request.app.state.raise_attempts.append(sqlstate)
    async with own_transaction(session) as own:
        await own.execute(text("SELECT 1"))
    await _fail_with(session, sqlstate)


def create_app(settings: SampleSettings | None = None) -> FastAPI:
    return create_service_app(settings or SampleSettings(), title="sample", description="test app", routers=[router])
