"""Helpers every test package shares: databases, tokens, in-process apps, real processes, the SMTP inbox, the system."""
