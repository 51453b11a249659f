"""Errors a user can act on. The CLI prints them as one line; the service maps them to 4xx."""

from __future__ import annotations


class PolicytagError(Exception):
    """Base class: the message names the problem and, where possible, the fix."""


class DataError(PolicytagError, ValueError):
    """A data file that does not follow the guidelines' format."""


class ReadError(PolicytagError):
    """A document that cannot be read as text."""


class ModelError(PolicytagError):
    """A model that cannot be found, loaded or trained."""
