"""Stock levels and the movement ledger."""
