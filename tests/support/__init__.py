"""Helpers every test package shares: databases, the broker, tokens, apps, processes, the SMTP inbox, the system."""
