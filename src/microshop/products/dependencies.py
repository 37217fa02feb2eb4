"""Dependencies every products router shares."""

from typing import Annotated

from fastapi import Depends

from microshop.common.settings import app_settings
from microshop.products.config import ProductsSettings

SettingsDep = Annotated[ProductsSettings, Depends(app_settings)]
