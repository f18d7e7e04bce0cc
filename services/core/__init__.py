"""Shared building blocks: settings, errors, logging, identifiers, clock."""
