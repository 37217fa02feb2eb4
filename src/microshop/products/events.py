"""Products' outbox (`products.outbox`): the order and catalog events it publishes (docs/events.md)."""

from microshop.common.events.outbox import outbox_table
from microshop.products.base import Base

outbox = outbox_table(Base.metadata)

SOURCE = "products"
