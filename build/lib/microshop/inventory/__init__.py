"""Inventory: the single source of truth for stock (docs/architecture.md#stock-ledger).

- `stock/`: stock per product and the movement ledger. Every change writes a movement in the same
  transaction, so `inventory.stock == sum(movements.delta)` per product, and `stock >= 0` is a CHECK.
- `reservations/`: all-or-nothing decrements for an order, idempotent on `reference` (UNIQUE, claimed
  with INSERT ... ON CONFLICT DO NOTHING). Outcomes are stored: `committed`, `rejected` (with `short`,
  so a repeat gets the same 409) or `released`. Releasing a committed reservation gives its units back
  once (reason `compensation` or `cancel`); releasing a rejected one marks it `released` with no
  movements; releasing an unknown reference stores a tombstone so a late reservation is refused.
- Routes live under `/api/inventory`; the `/inventory` paths are the same handlers.
"""
