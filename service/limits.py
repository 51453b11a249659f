"""Checks on submitted texts, shared by /classify, /jobs and Label Studio's /predict."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policytag.settings import Settings
from service.errors import InvalidInput, LimitExceeded, limit_message

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    """Lone surrogates (JSON ``"\\ud800"``) are not text and cannot be encoded back."""
    return _SURROGATE.search(text) is not None


@dataclass(frozen=True)
class TextProblem:
    """Why a text cannot be tagged; jobs record it, requests raise it."""

    status: int
    message: str

    def exception(self) -> InvalidInput | LimitExceeded:
        return LimitExceeded(self.message) if self.status == 413 else InvalidInput(self.message)


def text_problem(text: str, settings: Settings, name: str = "text") -> TextProblem | None:
    """Why ``text`` cannot be tagged, or ``None`` if it can."""
    if has_surrogates(text):
        return TextProblem(422, f"{name} is not valid Unicode (it holds a lone surrogate)")
    if not text.strip():
        return TextProblem(422, f"{name} is empty or only whitespace")
    if len(text) > settings.max_text_chars:
        message = limit_message(
            f"{name} has {len(text):,} characters", "max_text_chars", settings.max_text_chars
        )
        return TextProblem(413, message)
    return None


def validate_texts(texts: list[str], settings: Settings) -> list[str]:
    """The texts of one /classify request, or the first problem raised as 413/422."""
    if len(texts) > settings.max_texts_per_request:
        raise LimitExceeded(
            limit_message(
                f"the request has {len(texts):,} texts",
                "max_texts_per_request",
                settings.max_texts_per_request,
            )
        )
    for i, text in enumerate(texts):
        problem = text_problem(text, settings, name="text" if len(texts) == 1 else f"texts[{i}]")
        if problem is not None:
            raise problem.exception()
    return texts
