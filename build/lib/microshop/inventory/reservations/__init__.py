"""All-or-nothing, idempotent reservations (and their release) for orders."""
