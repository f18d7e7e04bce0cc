"""Errors of the collector's own domain."""

from __future__ import annotations

from services.core.errors import AccessReviewError


class IncompletePayloadError(AccessReviewError):
    """An API answer lacks a field the normalized form needs: that scope's collection fails, loudly."""

    code = "incomplete-payload"
    exit_code = 1
