"""Shared web pieces: app factory, magic links, sessions, CSRF, the one error-to-HTTP mapping."""
