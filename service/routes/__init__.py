"""One router per resource; ``service.app`` includes them all."""

from __future__ import annotations

from typing import Any

from service.schemas import ErrorResponse

_DESCRIPTIONS = {
    400: "The body could not be parsed (not UTF-8 or malformed).",
    401: "Missing or wrong API key.",
    403: "Admin routes are disabled (no POLICYTAG_API_KEY).",
    404: "No such job.",
    409: "The job has no results yet, or a training job is already running.",
    413: "A configured limit was passed; the message names it.",
    415: "Unsupported content type.",
    422: "Invalid input; the message says what is wrong.",
    503: "No model is loaded (loading, missing or corrupt), or the server is overloaded.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error codes a route can answer."""
    return {code: {"model": ErrorResponse, "description": _DESCRIPTIONS[code]} for code in codes}
