"""Request parsing for the catalog: one product body as JSON or as a multipart form with an image."""

import json
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from microshop.common.errors import AppError, invalid_input
from microshop.common.ids import MAX_ID
from microshop.products.catalog.schemas import (
    MAX_FEATURES_JSON,
    ProductCreate,
    ProductQuery,
    ProductUpdate,
    parse_feature_filters,
)
from microshop.products.config import ProductsSettings
from microshop.products.dependencies import SettingsDep
from microshop.products.images import PreparedImage, process_upload

ModelT = TypeVar("ModelT", bound=BaseModel)
FORM_FIELDS = ("name", "price", "description", "stock", "features")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class UnsupportedMediaType(AppError):
    status_code, code = 415, "unsupported_media_type"


@dataclass(frozen=True)
class ProductInput(Generic[ModelT]):
    data: ModelT
    image: PreparedImage | None


def _validate(model: type[ModelT], raw: Any, *, json_text: bytes | None = None) -> ModelT:
    try:
        return model.model_validate_json(json_text) if json_text is not None else model.model_validate(raw)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def _form_values(form: FormData) -> tuple[dict[str, Any], UploadFile | None]:
    raw: dict[str, Any] = {}
    for field in FORM_FIELDS:
        value = form.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise invalid_input("body", field, "must be a text field, not a file")
        if value == "" and field != "description":
            continue  # an empty form field means "not given"
        raw[field] = value or None
    if "features" in raw:
        # The same size bound as the JSON body's, checked before parsing; the depth bound is the
        # schema's, and the parser's own recursion limit is only a backstop (RecursionError, not a 500).
        if len(raw["features"]) > MAX_FEATURES_JSON:
            raise invalid_input(
                "body", "features", f"must be at most {MAX_FEATURES_JSON} characters", kind="string_too_long"
            )
        try:
            raw["features"] = json.loads(raw["features"], parse_constant=_refuse_constant)
        except (ValueError, RecursionError):
            raise invalid_input("body", "features", "must be a JSON object", kind="json_invalid") from None
    image = form.get("image")
    if isinstance(image, str):
        if image:
            raise invalid_input("body", "image", "must be a file")
        return raw, None
    if image is not None and not image.filename and not image.size:
        return raw, None  # a browser's empty file input
    return raw, image


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def _parse_product(request: Request, settings: ProductsSettings, model: type[ModelT]) -> ProductInput[ModelT]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return ProductInput(_validate(model, None, json_text=await request.body()), None)
    if content_type not in FORM_TYPES:
        raise UnsupportedMediaType("Send the product as application/json or multipart/form-data")
    # The route's body limit (settings.body_limit) already bounds what the form parser reads.
    async with request.form(max_files=1, max_fields=len(FORM_FIELDS) + 5) as form:
        raw, upload = _form_values(form)
        data = _validate(model, raw)
        image = None
        if upload is not None:
            image = await process_upload(
                upload,
                max_bytes=settings.max_image_bytes,
                max_pixels=settings.max_image_pixels,
                decode_slots=request.app.state.image_decode_slots,
            )
    return ProductInput(data, image)


async def product_create_input(request: Request, settings: SettingsDep) -> ProductInput[ProductCreate]:
    return await _parse_product(request, settings, ProductCreate)


async def product_update_input(request: Request, settings: SettingsDep) -> ProductInput[ProductUpdate]:
    return await _parse_product(request, settings, ProductUpdate)


async def feature_filters(request: Request) -> dict[str, list[str]]:
    """The `feature.<key>=<value>` parameters of a listing."""
    try:
        return parse_feature_filters(request.query_params.multi_items())
    except ValueError as exc:
        raise invalid_input("query", "feature", str(exc)) from None


ProductCreateInput = Annotated[ProductInput[ProductCreate], Depends(product_create_input)]
ProductUpdateInput = Annotated[ProductInput[ProductUpdate], Depends(product_update_input)]
FeatureFilters = Annotated[dict[str, list[str]], Depends(feature_filters)]
ProductIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="The product's id")]
ListingQuery = Annotated[ProductQuery, Query()]
