"""One error base for the whole product.

Every error the product raises on purpose derives from :class:`AccessReviewError`. Each class
carries its meaning (``code``), whether a retry may help (``transient``), and how it surfaces:
``http_status`` is read by the single HTTP mapping in :mod:`services.web.errors`, ``exit_code``
by the single CLI mapping in :mod:`services.cli.errors`.
"""

from __future__ import annotations

from typing import Any


class AccessReviewError(Exception):
    """Base of every deliberate error."""

    code = "error"
    http_status = 500
    exit_code = 1
    transient = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class ConfigError(AccessReviewError):
    """A setting is missing or invalid; the process refuses to start."""

    code = "config"
    exit_code = 2


class UsageError(AccessReviewError):
    """The caller asked for something that cannot be done as asked."""

    code = "usage"
    http_status = 400
    exit_code = 2


class NotFoundError(AccessReviewError):
    code = "not-found"
    http_status = 404
    exit_code = 4


class ConflictError(AccessReviewError):
    code = "conflict"
    http_status = 409
    exit_code = 5


class PermissionDeniedError(AccessReviewError):
    code = "forbidden"
    http_status = 403
    exit_code = 6


class AuthenticationError(AccessReviewError):
    code = "unauthenticated"
    http_status = 401
    exit_code = 6


class RateLimitedError(AccessReviewError):
    """Too many attempts from one address or on one link in a window; ``retry_after_s`` says when."""

    code = "rate-limited"
    http_status = 429
    exit_code = 3


class UnavailableError(AccessReviewError):
    """A dependency (broker, database, store, API) cannot be reached."""

    code = "unavailable"
    http_status = 503
    exit_code = 3
    transient = True


class DecodeError(AccessReviewError):
    """Bytes that are not a valid event: garbage, unknown fingerprint, schema mismatch."""

    code = "decode"
    http_status = 422
    exit_code = 1


class EncodeError(AccessReviewError):
    """An event that does not fit its schema."""

    code = "encode"
    http_status = 422
    exit_code = 1


class DeliveryError(AccessReviewError):
    """The broker did not acknowledge a produced event."""

    code = "delivery"
    http_status = 503
    exit_code = 3
    transient = True


class MessageTooLargeError(AccessReviewError):
    """A message over the broker's size limit: never retried (it would fail again), said with its size."""

    code = "too-large"
    http_status = 413
    exit_code = 1


class IntegrityError(AccessReviewError):
    """Evidence does not verify."""

    code = "integrity"
    http_status = 409
    exit_code = 1


class UntrustedError(AccessReviewError):
    """Verification was asked for with no trust anchor: no public key given out of band."""

    code = "untrusted"
    http_status = 400
    exit_code = 7


class UnanchoredError(AccessReviewError):
    """Everything checked out against the given keys, but nothing outside the store (a witness
    cosignature or a trusted checkpoint) fixes how long the log was or when it was written."""

    code = "unanchored"
    http_status = 409
    exit_code = 8
