"""`invalid_input`: a dependency's refusal is the same 422 as a schema's, naming the field."""

from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Header

from microshop.common.errors import install_error_handlers, invalid_input


def _even(number: Annotated[str, Header()]) -> int:
    if not number.isdigit() or int(number) % 2:
        raise invalid_input("header", "number", "must be an even number")
    return int(number)


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/even")
    async def even(number: Annotated[int, Depends(_even)]) -> dict[str, int]:
        return {"number": number}

    return app


async def test_a_refused_dependency_input_is_a_422_listing_the_field() -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as client:
        response = await client.get("/even", headers={"number": "3"})
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "validation_error",
            "message": "number: must be an even number",
            "details": [{"loc": ["header", "number"], "msg": "must be an even number", "type": "value_error"}],
        }
    }
