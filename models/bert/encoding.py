"""Characters ↔ tokens, through the fast tokenizer's ``offset_mapping`` only.

Never one character per token: ``100``, ``gt ##p`` or ``open ##lo ##ong`` are
word pieces over several characters, whitespace has no token, and the lower-casing
normaliser keeps offsets into the original text. Long texts are cut into
overlapping windows so every token is seen; ``stitch`` merges the windows back.

Offsets are Python ``str`` indices (code points), end exclusive, as in ``Span``.
A token whose offsets are empty (``start == end``) is a special or padding token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from transformers import PreTrainedTokenizerFast

from models.bert.tags import IGNORE_INDEX, TAG_IDS, begin, inside, parse
from models.schema import Span

Offset = tuple[int, int]
SPECIAL: Offset = (0, 0)


@dataclass(frozen=True)
class Window:
    """One model input: ``[CLS]`` + a run of the text's tokens + ``[SEP]``.

    ``first_token`` is the index of the first content token in the text's whole
    token sequence, so windows can be stitched back in order.
    """

    input_ids: list[int]
    offsets: list[Offset]
    first_token: int

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def n_content(self) -> int:
        return len(self.input_ids) - 2


def _window_starts(n_tokens: int, content: int, stride: int) -> list[int]:
    """Starts that cover ``n_tokens`` with windows overlapping by at least ``stride``.

    The last window is pulled back to end at the last token, so it has full context.
    """
    starts = [0]
    while starts[-1] + content < n_tokens:
        starts.append(min(starts[-1] + content - stride, n_tokens - content))
    return starts


def encode_many(
    texts: Sequence[str],
    tokenizer: PreTrainedTokenizerFast,
    max_length: int = 256,
    stride: int = 64,
) -> list[list[Window]]:
    """Windows for each text (one batched tokenizer call); ``[]`` for a text with no tokens.

    ``max_length`` counts ``[CLS]`` and ``[SEP]``; ``stride`` is the overlap in tokens.
    """
    content = max_length - 2
    if content <= stride or stride < 0:
        raise ValueError(f"max_length {max_length} leaves no room for a stride of {stride}")
    if not texts:
        return []
    batch = tokenizer(
        list(texts),
        add_special_tokens=False,
        return_offsets_mapping=True,
        return_attention_mask=False,
        return_token_type_ids=False,
        verbose=False,
    )
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    result = []
    for ids, offsets in zip(batch["input_ids"], batch["offset_mapping"], strict=True):
        windows = []
        if ids:
            for start in _window_starts(len(ids), content, stride):
                end = start + content
                windows.append(
                    Window(
                        input_ids=[cls_id, *ids[start:end], sep_id],
                        offsets=[SPECIAL, *(tuple(o) for o in offsets[start:end]), SPECIAL],
                        first_token=start,
                    )
                )
        result.append(windows)
    return result


def encode(
    text: str, tokenizer: PreTrainedTokenizerFast, max_length: int = 256, stride: int = 64
) -> list[Window]:
    """The windows of one text; see ``encode_many``."""
    return encode_many([text], tokenizer, max_length, stride)[0]


def spans_to_tags(spans: Sequence[Span], offsets: Sequence[Offset]) -> list[int]:
    """BIO tag ids per token for character spans; ``IGNORE_INDEX`` on special tokens.

    A token overlapping a span gets ``B-`` if it holds the span's first character,
    else ``I-`` (so a window that starts inside a name continues it). Where spans
    overlap, the earlier one keeps its tokens.
    """
    tags = [IGNORE_INDEX if start == end else TAG_IDS["O"] for start, end in offsets]
    taken = [False] * len(offsets)
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        for i, (start, end) in enumerate(offsets):
            if start == end or taken[i] or start >= span.end or end <= span.start:
                continue
            tags[i] = begin(span.label) if start <= span.start else inside(span.label)
            taken[i] = True
    return tags


def _span(text: str, start: int, end: int, entity_type: str, probs: list[float]) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return None
    score = min(1.0, max(0.0, float(np.mean(probs))))
    return Span(start=start, end=end, label=entity_type, text=text[start:end], score=score)


def tags_to_spans(
    text: str,
    offsets: Sequence[Offset],
    tag_ids: Sequence[int] | np.ndarray,
    tag_probs: Sequence[float] | np.ndarray,
) -> list[Span]:
    """Character spans from per-token tags, scored by the mean probability of their tags.

    An ``I-`` after ``O`` or after another type opens a span (the model's usual
    slip); special tokens end a span; whitespace at a span's edges is trimmed.
    """
    spans: list[Span] = []
    current: tuple[str, int, int, list[float]] | None = None  # type, start, end, probs

    def close() -> None:
        nonlocal current
        if current is not None and (span := _span(text, *current[1:3], current[0], current[3])):
            spans.append(span)
        current = None

    for (start, end), tag_id, prob in zip(offsets, tag_ids, tag_probs, strict=True):
        if start == end:
            close()
            continue
        prefix, entity_type = parse(int(tag_id))
        if entity_type is None:
            close()
        elif prefix == "B" or current is None or current[0] != entity_type:
            close()
            current = (entity_type, start, end, [float(prob)])
        else:
            current = (entity_type, current[1], end, [*current[3], float(prob)])
    close()
    return spans


@dataclass(frozen=True)
class Stitched:
    """A whole text's outputs after merging its windows."""

    label_logits: np.ndarray  # (n_labels,)
    tag_logits: np.ndarray  # (n_tokens, n_tags), content tokens only
    offsets: list[Offset]  # (n_tokens,), the text's content tokens


def stitch(
    windows: Sequence[Window],
    label_logits: Sequence[np.ndarray],
    tag_logits: Sequence[np.ndarray],
) -> Stitched:
    """Merge per-window outputs into one per text.

    Labels take the max logit over windows (a measure anywhere is a measure of the
    segment). A token seen by several windows takes the window where it lies
    furthest from an edge, i.e. where it had the most context; ties go to the
    earlier window. ``tag_logits[i]`` may be padded beyond ``len(windows[i])``.
    """
    if not windows:
        raise ValueError("nothing to stitch: the text has no tokens")
    n_tokens = max(w.first_token + w.n_content for w in windows)
    n_tags = tag_logits[0].shape[-1]
    merged = np.zeros((n_tokens, n_tags), dtype=np.float32)
    offsets: list[Offset] = [SPECIAL] * n_tokens
    best = np.full(n_tokens, -1)
    for window, logits in zip(windows, tag_logits, strict=True):
        n = window.n_content
        positions = np.arange(n)
        distance = np.minimum(positions, n - 1 - positions)
        index = window.first_token + positions
        better = distance > best[index]
        merged[index[better]] = logits[1 : n + 1][better]
        best[index[better]] = distance[better]
        for i in positions[better]:
            offsets[window.first_token + i] = window.offsets[1 + i]
    labels = np.max(np.stack([np.asarray(x) for x in label_logits]), axis=0)
    return Stitched(label_logits=labels, tag_logits=merged, offsets=offsets)
