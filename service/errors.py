"""Errors the service answers with a status code and a one-line message.

Routes and service modules raise these; ``service.app`` turns each into a JSON
``{"detail": message}`` with its status. Anything else that escapes a route is a bug
and becomes a logged JSON 500.
"""

from __future__ import annotations

from typing import ClassVar


class ServiceError(Exception):
    """An error with the HTTP status it maps to; ``str(error)`` is the message."""

    status_code: ClassVar[int] = 400
    headers: ClassVar[dict[str, str] | None] = None


class InvalidInput(ServiceError):
    status_code = 422


class LimitExceeded(ServiceError):
    """A configured limit was passed; the message names the setting and its value."""

    status_code = 413


class UnsupportedMediaType(ServiceError):
    status_code = 415


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class ModelUnavailable(ServiceError):
    """No model is loaded (still loading, missing or corrupt): the reason says which."""

    status_code = 503
    headers: ClassVar[dict[str, str] | None] = {"Retry-After": "5"}


class Overloaded(ServiceError):
    status_code = 503
    headers: ClassVar[dict[str, str] | None] = {"Retry-After": "1"}


class Unauthorized(ServiceError):
    status_code = 401
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class Forbidden(ServiceError):
    status_code = 403


def limit_message(what: str, setting: str, value: int) -> str:
    """A message that names the limit and the variable that sets it."""
    return f"{what}: the limit is {value:,} ({setting}, set POLICYTAG_{setting.upper()})"
