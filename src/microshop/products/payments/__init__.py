"""How customers pay: one small interface (`provider.PaymentProvider`) and the offline methods behind it."""
