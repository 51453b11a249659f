"""Masked-LM pretraining of a compact Chinese BERT from scratch, fully offline.

Users here reach no model hub, so ``policytag pretrain`` builds the base model that
fine-tuning (``JointBertModel.from_pretrained(dir)``) starts from. The flow:

1. **Corpus.** The seed replies (``<seeds_dir>/*.txt``, cleaned with
   :func:`models.segment.clean`, one paragraph a line), every ``text`` of the pool
   (``Settings.pool_file``) and any extra ``.txt``/``.jsonl`` files. A document is a
   pool ``doc_id``, a seed file, an extra ``.txt`` file, or an extra JSONL ``doc_id``
   (a JSONL line without one is a document of its own).
2. **Held-out split by document**: whole documents, drawn in a seeded order, until
   about ``heldout_fraction`` of the paragraphs are held out. Their MLM loss and
   perplexity are measured before training (random init) and after, with the same
   fixed masks.
3. **Vocabulary** (:func:`build_vocab`): the bert-base-chinese vocabulary pruned to

   - the special tokens at their bert-base-chinese ids (``[PAD]`` 0, ``[UNK]`` 100,
     ``[CLS]`` 101, ``[SEP]`` 102, ``[MASK]`` 103), and all 99 ``[unusedN]`` slots
     (1–99), which exist for additions. The first slots take the characters the
     corpus uses at least ``min_char_count`` times that bert-base-chinese lacks —
     notably the curly quotes “”‘’, the dashes —― and the ellipsis …, which it maps
     to ``[UNK]`` (0.5 % of the pool's tokens); the rest stay reserved;
   - every token the bert-base-chinese tokenizer produces on the corpus;
   - fallbacks, so that no ASCII text and no common symbol becomes ``[UNK]``:
     ``a``–``z`` and ``0``–``9`` with their ``##`` forms, and every single-character
     punctuation, symbol or numeral token (Unicode categories P, S, N), ASCII and
     full-width;
   - the ``common_chars`` most frequent Chinese characters by jieba's dictionary
     (default 3500, the size of the first level of the 通用规范汉字表), so that new
     replies rarely hit ``[UNK]``: on the seed replies, a vocabulary built from the
     pool alone leaves 33 unknown character occurrences, and 5 with these.

   Kept tokens keep their bert-base-chinese order. Greedy WordPiece on a subset
   vocabulary that contains every piece the full vocabulary used yields the same
   pieces, so the corpus tokenizes as before, minus the added characters' ``[UNK]``.
   The tokenizer (:func:`build_tokenizer`) is a ``BertTokenizerFast`` over that vocab
   with the lower-casing normaliser of :func:`models.bert.tokenizer.lowercase`; the
   base dir holds ``vocab.txt`` and ``tokenizer.json``.
4. **Sequences.** Paragraphs of one document are packed into ``[CLS] p1 [SEP] p2
   [SEP] …`` filling ``seq_len`` tokens: a paragraph that does not fit is cut at a
   jieba word boundary and continues in the next sequence. Every
   ``1/long_fraction``-th step (default every 10th) trains on sequences packed to
   ``max_position`` tokens instead (batch shrunk to keep the tokens per step), so
   the position embeddings that fine-tuning uses beyond ``seq_len`` are trained
   too, however early a time budget stops the run.
5. **Whole-word masking** (:func:`whole_word_mask`): jieba words are drawn in random
   order until ``mask_rate`` of a sequence's tokens are covered (a word that would
   overshoot is skipped); all tokens of a chosen word are replaced together by
   ``[MASK]`` (80 %), by random corpus tokens (10 %) or kept (10 %). Masks are drawn
   anew each step (dynamic masking). jieba's segmentation has no randomness (we use
   a private ``jieba.Tokenizer``, unaffected by words other modules add); our draws
   come from ``numpy`` generators seeded with ``(seed, step)``, and Python's
   ``random`` and torch are seeded as well.
6. **Training**: ``BertForMaskedLM``; the loss is computed on the masked positions
   only (the prediction head runs on those rows, the same loss for a fraction of the
   cost); AdamW with decoupled weight decay (none on biases and LayerNorm), linear
   warm-up then linear decay, gradient clipping. A checkpoint (model, optimiser,
   scheduler, step, RNG states, losses) is written atomically every
   ``checkpoint_every`` steps and when the run stops to ``<out>.checkpoint/``;
   ``resume=True`` continues from it exactly: batches and masks depend only on the
   seed and the step, and the dropout RNG state is restored. ``max_minutes`` bounds
   the run (``fit_budget``): once 20 steps are timed (after 5 of warm-up), and every
   10 steps after, the decay's end moves to the step the time left affords (90 % of
   it, never beyond ``steps``), so a busy machine still ends in time with a fully
   decayed learning rate; a run that still runs out of time stops gracefully,
   keeping time for the final evaluation and save. SIGINT/SIGTERM also stop at the
   next step boundary and save.
7. **Output**: ``save_pretrained`` (safetensors), the tokenizer files and
   ``pretrain.json`` (corpus statistics, vocabulary, ``[UNK]`` rates, steps, time,
   held-out loss and perplexity before and after, config), written to a temp dir
   and renamed.

The default model (4 layers, hidden 256, 4 heads, intermediate 1024, 512 positions,
~4.4 M parameters with a ~4.2 k vocabulary) was sized on this project's machine
(2 CPU cores): idle, a step of 32 × 128 tokens takes about 0.65 s, so the default
800 steps (about 13 epochs of the pool and the seeds) take about 10 minutes with
preparation and evaluation. The machine is shared, and under load a step takes
2–5 s; the default 18-minute budget then shortens the schedule so that the run
still ends in time, with a fully decayed learning rate.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import json
import logging
import math
import random
import signal
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jieba
import numpy as np
import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from torch.nn import functional as F
from transformers import (
    BertConfig,
    BertForMaskedLM,
    BertTokenizerFast,
    PreTrainedTokenizerFast,
)
from transformers.utils import logging as hf_logging

from models import atomic
from models.bert.tokenizer import SHIPPED_VOCAB, load_tokenizer, lowercase
from models.errors import DataError, ModelError
from models.pool import read_pool as pool_paragraphs
from models.readers import read_text
from models.segment import clean

BASE_NAME = "policytag-zh-mini"
MANIFEST = "pretrain.json"
CHECKPOINT = "checkpoint.pt"
FORMAT = "policytag-pretrain/1"
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
IGNORE = -100
MASK_SHARE, RANDOM_SHARE = 0.8, 0.1  # the rest of a chosen word is kept as is
MIN_PARAGRAPH_CHARS = 2
EVAL_BATCH = 64
LOG_EVERY = 50
MIN_CUT = 8  # a paragraph is cut to fill a sequence only if this many tokens fit
FIT_SKIP = 5  # first steps of a session, slow while buffers are allocated: not timed
FIT_AFTER = 20  # steps of a session timed before the schedule is fitted to the budget
FIT_WINDOW = 50  # recent steps timed; the slower of their mean and the session mean counts
FIT_MARGIN = 0.9  # share of the time left that a fitted schedule plans to use
FIT_SLACK = 0.05  # a fitted schedule grows back only by more than this share
# Config fields that change nothing about the result, so a resumed run may differ.
OPERATIONAL_FIELDS = frozenset({"checkpoint_every"})


# ---------------------------------------------------------------------------
# Configuration and result


@dataclass(frozen=True)
class PretrainConfig:
    """Model size, data shaping and optimisation; defaults take ~10 min on 2 idle cores."""

    layers: int = 4
    hidden: int = 256
    heads: int = 4
    intermediate: int = 1024
    max_position: int = 512
    dropout: float = 0.1
    seq_len: int = 128
    batch_size: int = 32
    steps: int = 800
    learning_rate: float = 5e-4
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    mask_rate: float = 0.15
    long_fraction: float = 0.1
    heldout_fraction: float = 0.05
    common_chars: int = 3500
    min_char_count: int = 2
    seed: int = 13
    checkpoint_every: int = 100

    def __post_init__(self) -> None:
        problems = []
        if min(self.layers, self.hidden, self.heads, self.intermediate, self.steps) < 1:
            problems.append("layers, hidden, heads, intermediate and steps must be positive")
        if self.hidden % self.heads:
            problems.append(f"hidden {self.hidden} is not a multiple of heads {self.heads}")
        if not 8 <= self.seq_len <= self.max_position:
            problems.append(f"seq_len {self.seq_len} must be in 8..max_position")
        if self.batch_size < 1 or self.checkpoint_every < 1:
            problems.append("batch_size and checkpoint_every must be positive")
        if not 0 < self.mask_rate < 1 or not 0 <= self.heldout_fraction < 0.5:
            problems.append("mask_rate must be in (0, 1) and heldout_fraction in [0, 0.5)")
        if not 0 <= self.long_fraction <= 1 or not 0 <= self.warmup_ratio < 1:
            problems.append("long_fraction must be in [0, 1] and warmup_ratio in [0, 1)")
        if self.learning_rate <= 0 or self.common_chars < 0 or self.min_char_count < 1:
            problems.append("learning_rate > 0, common_chars >= 0, min_char_count >= 1")
        if problems:
            raise ModelError("invalid pretraining config: " + "; ".join(problems))

    @property
    def long_period(self) -> int:
        """Every ``long_period``-th step trains on ``max_position``-token sequences (0: none)."""
        if self.max_position <= self.seq_len or self.long_fraction <= 0:
            return 0
        return max(1, round(1 / self.long_fraction))

    def batch_source(self, step: int) -> tuple[bool, int]:
        """Whether ``step`` is a long one, and its index among steps of its kind."""
        period = self.long_period
        if period and step % period == period - 1:
            return True, step // period
        return False, step - (step // period if period else 0)

    @property
    def long_batch(self) -> int:
        return max(1, self.batch_size * self.seq_len // self.max_position)

    def bert_config(self, vocab_size: int) -> BertConfig:
        return BertConfig(
            vocab_size=vocab_size,
            hidden_size=self.hidden,
            num_hidden_layers=self.layers,
            num_attention_heads=self.heads,
            intermediate_size=self.intermediate,
            max_position_embeddings=self.max_position,
            hidden_dropout_prob=self.dropout,
            attention_probs_dropout_prob=self.dropout,
            type_vocab_size=2,
            pad_token_id=0,
        )


@dataclass(frozen=True)
class HeldOut:
    """Masked-LM loss on the held-out documents (nats per masked token)."""

    loss: float
    perplexity: float
    masked_tokens: int


@dataclass
class PretrainResult:
    out_dir: Path
    completed: bool
    steps: int
    planned_steps: int
    seconds: float
    before: HeldOut | None
    after: HeldOut | None
    manifest: dict[str, Any] = field(repr=False)


# ---------------------------------------------------------------------------
# Corpus


@dataclass
class Document:
    doc_id: str
    source: str  # "pool", "seeds" or "text"
    paragraphs: list[str]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if len(p.strip()) >= MIN_PARAGRAPH_CHARS]


def _json_lines(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise DataError(f"{path}:{number}: expected an object with a string 'text'")
            yield number, record


def read_pool(path: Path) -> list[Document]:
    """The pool's paragraphs grouped by ``doc_id``, in file order."""
    docs: dict[str, Document] = {}
    for paragraph in pool_paragraphs(Path(path)).values():
        doc = docs.setdefault(paragraph.doc_id, Document(f"pool:{paragraph.doc_id}", "pool", []))
        doc.paragraphs.extend(_paragraphs(paragraph.text))
    return [d for d in docs.values() if d.paragraphs]


def read_seeds(seeds_dir: Path) -> list[Document]:
    """Each seed reply, cleaned of PDF line wraps, one paragraph a line."""
    docs = []
    for path in sorted(Path(seeds_dir).glob("*.txt")):
        paragraphs = _paragraphs(clean(read_text(path)).text)
        if paragraphs:
            docs.append(Document(f"seeds:{path.stem}", "seeds", paragraphs))
    return docs


def read_text_file(path: Path) -> list[Document]:
    """An extra ``.txt`` (one document) or ``.jsonl`` (a ``text`` field per line)."""
    path = Path(path)
    if path.suffix == ".txt":
        paragraphs = _paragraphs(clean(read_text(path)).text)
        return [Document(f"text:{path}", "text", paragraphs)] if paragraphs else []
    if path.suffix == ".jsonl":
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        docs: dict[str, Document] = {}
        for number, record in _json_lines(path):
            key = str(record.get("doc_id") or f"line{number}")
            doc = docs.setdefault(key, Document(f"text:{path}:{key}", "text", []))
            doc.paragraphs.extend(_paragraphs(record["text"]))
        return [d for d in docs.values() if d.paragraphs]
    raise DataError(f"{path}: give .txt or .jsonl (with a 'text' field) files")


def load_corpus(
    pool_file: Path, seeds_dir: Path | None, texts: Sequence[Path] = ()
) -> list[Document]:
    docs = read_pool(pool_file)
    if seeds_dir is not None and Path(seeds_dir).is_dir():
        docs += read_seeds(seeds_dir)
    for path in texts:
        docs += read_text_file(path)
    if not docs:
        raise ModelError("the pretraining corpus is empty")
    return docs


def split_heldout(
    docs: Sequence[Document], fraction: float, seed: int
) -> tuple[list[Document], list[Document]]:
    """Hold out whole documents, in a seeded order, until ``fraction`` of paragraphs."""
    total = sum(len(d.paragraphs) for d in docs)
    target = fraction * total
    held: set[int] = set()
    count = 0
    if fraction > 0 and len(docs) > 1:
        for index in np.random.default_rng([seed, 7]).permutation(len(docs)):
            if count >= target or len(held) == len(docs) - 1:
                break
            size = len(docs[index].paragraphs)
            if count and count + size > 2 * target:
                continue  # a huge document would overshoot the target
            held.add(int(index))
            count += size
    train = [d for i, d in enumerate(docs) if i not in held]
    return train, [d for i, d in enumerate(docs) if i in held]


# ---------------------------------------------------------------------------
# Vocabulary and tokenizer


@dataclass
class Vocabulary:
    tokens: list[str]
    added: list[str]  # characters placed in [unusedN] slots
    from_corpus: int  # tokens the base tokenizer produced on the corpus
    common_added: int  # common characters kept although the corpus lacks them
    fallback_added: int  # ASCII/punctuation fallbacks the corpus lacks
    base_unk_rate: float  # [UNK] share of the corpus under bert-base-chinese


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2FA1F
        or 0xF900 <= code <= 0xFAFF
    )


def _fallback(token: str) -> bool:
    """ASCII letters/digits (with ## forms) and one-character P/S/N tokens."""
    if len(token) == 3 and token.startswith("##"):
        return token[2].isascii() and token[2].isalnum()
    return len(token) == 1 and (
        (token.isascii() and token.isalnum()) or unicodedata.category(token)[0] in "PSN"
    )


def common_characters(count: int) -> list[str]:
    """The ``count`` most frequent Chinese characters, weighted by jieba's word counts."""
    if count <= 0:
        return []
    frequency: collections.Counter[str] = collections.Counter()
    path = Path(jieba.__file__).resolve().parent / "dict.txt"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split(" ")
            if len(parts) < 2 or not parts[1].isdigit():
                continue
            weight = int(parts[1])
            for char in parts[0]:
                if _is_cjk(char):
                    frequency[char] += weight
    ranked = sorted(frequency.items(), key=lambda item: (-item[1], item[0]))
    return [char for char, _ in ranked[:count]]


def build_vocab(
    paragraphs: Sequence[str],
    *,
    common_chars: int = 3500,
    min_char_count: int = 2,
    base: PreTrainedTokenizerFast | None = None,
) -> Vocabulary:
    """Prune bert-base-chinese to the corpus plus specials and fallbacks (module doc)."""
    base = base or load_tokenizer()
    base_tokens = (SHIPPED_VOCAB / "vocab.txt").read_text(encoding="utf-8").split("\n")
    base_tokens = [t for t in base_tokens if t]
    unk_id = base.unk_token_id
    encoded = base.backend_tokenizer.encode_batch(list(paragraphs), add_special_tokens=False)
    seen: set[int] = set()
    missing: collections.Counter[str] = collections.Counter()
    total = unknown = 0
    normalizer = base.backend_tokenizer.normalizer
    for text, encoding in zip(paragraphs, encoded, strict=True):
        ids, offsets = encoding.ids, encoding.offsets
        seen.update(ids)
        total += len(ids)
        for token_id, (start, end) in zip(ids, offsets, strict=True):
            if token_id == unk_id:
                unknown += 1
                char = normalizer.normalize_str(text[start:end]).strip()
                if len(char) == 1:
                    missing[char] += 1
    seen_tokens = {base_tokens[i] for i in seen if i != unk_id}
    unused = [t for t in base_tokens if t.startswith("[unused")]
    added = sorted(
        (c for c, n in missing.items() if n >= min_char_count), key=lambda c: (-missing[c], c)
    )
    added = [c for c in added if c not in base_tokens][: len(unused)]
    replacement = dict(zip(unused, added, strict=False))
    common = set(common_characters(common_chars))
    tokens: list[str] = []
    common_added = fallback_added = 0
    for token in base_tokens:
        if token in replacement:
            tokens.append(replacement[token])
        elif token in SPECIAL_TOKENS or token.startswith("[unused") or token in seen_tokens:
            tokens.append(token)
        elif _fallback(token):
            tokens.append(token)
            fallback_added += 1
        elif token in common:
            tokens.append(token)
            common_added += 1
    return Vocabulary(
        tokens=tokens,
        added=added,
        from_corpus=len(seen_tokens),
        common_added=common_added,
        fallback_added=fallback_added,
        base_unk_rate=unknown / total if total else 0.0,
    )


def build_tokenizer(tokens: Sequence[str], model_max_length: int = 512) -> PreTrainedTokenizerFast:
    """A lower-casing BERT WordPiece tokenizer over ``tokens`` (ids = positions)."""
    if len(set(tokens)) != len(tokens) or any(t not in tokens for t in SPECIAL_TOKENS):
        raise ModelError("a vocabulary needs unique tokens and all of " + " ".join(SPECIAL_TOKENS))
    tokenizer = BertTokenizerFast(
        vocab={token: index for index, token in enumerate(tokens)},
        do_lower_case=True,
        model_max_length=model_max_length,
    )
    return lowercase(tokenizer)


def save_tokenizer(
    tokenizer: PreTrainedTokenizerFast, tokens: Sequence[str], directory: Path
) -> None:
    """``tokenizer.json`` + ``tokenizer_config.json`` + ``vocab.txt``."""
    tokenizer.save_pretrained(directory)
    (Path(directory) / "vocab.txt").write_text("".join(t + "\n" for t in tokens), encoding="utf-8")


def unk_rate(tokenizer: PreTrainedTokenizerFast, paragraphs: Sequence[str]) -> float:
    encoded = tokenizer.backend_tokenizer.encode_batch(list(paragraphs), add_special_tokens=False)
    total = sum(len(e.ids) for e in encoded)
    unknown = sum(e.ids.count(tokenizer.unk_token_id) for e in encoded)
    return unknown / total if total else 0.0


# ---------------------------------------------------------------------------
# Encoding and packing


class WordCutter:
    """jieba segmentation from a private, default-dictionary tokenizer."""

    def __init__(self) -> None:
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()

    def word_index(self, text: str) -> list[int]:
        """For each character of ``text``, the index of the jieba word it is in."""
        index: list[int] = []
        for number, word in enumerate(self._jieba.cut(text, HMM=True)):
            index.extend([number] * len(word))
        return index


# One encoded paragraph: token ids and, per token, its jieba word index.
Piece = tuple[list[int], list[int]]


def encode_documents(
    docs: Sequence[Document], tokenizer: PreTrainedTokenizerFast, cutter: WordCutter
) -> list[list[Piece]]:
    flat = [p for d in docs for p in d.paragraphs]
    encoded = tokenizer.backend_tokenizer.encode_batch(flat, add_special_tokens=False)
    pieces: list[Piece] = []
    for text, encoding in zip(flat, encoded, strict=True):
        words = cutter.word_index(text)
        pieces.append((list(encoding.ids), [words[start] for start, _ in encoding.offsets]))
    result, cursor = [], 0
    for doc in docs:
        result.append(pieces[cursor : cursor + len(doc.paragraphs)])
        cursor += len(doc.paragraphs)
    return result


def _word_cut(words: Sequence[int], limit: int) -> int:
    """Where to cut ``words`` (longer than ``limit``) to keep at most ``limit`` tokens.

    At the last word boundary, unless that keeps less than half: then at ``limit``.
    """
    cut = limit
    while cut > limit // 2 and words[cut] == words[cut - 1]:
        cut -= 1
    return cut if words[cut] != words[cut - 1] else limit


@dataclass
class Sequences:
    """Packed sequences, padded: ids (0 = [PAD]) and word ids (-1 = special/pad)."""

    ids: torch.Tensor
    words: torch.Tensor
    lengths: torch.Tensor

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(
        self, rows: np.ndarray | list[int]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Ids, word ids and attention mask of ``rows``, padded to the full width.

        Constant shapes let the allocator reuse its buffers from step to step; most
        batches are nearly full width anyway.
        """
        index = torch.as_tensor(np.asarray(rows), dtype=torch.long)
        width = self.ids.shape[1]
        attention = (torch.arange(width)[None, :] < self.lengths[index, None]).long()
        return self.ids[index], self.words[index], attention

    @property
    def tokens(self) -> int:
        return int(self.lengths.sum())


def pack(
    doc_pieces: Sequence[Sequence[Piece]], seq_len: int, cls_id: int, sep_id: int
) -> Sequences:
    """``[CLS] p1 [SEP] p2 [SEP] …`` per document, filled to ``seq_len`` tokens.

    A paragraph that does not fit is cut at a word boundary and goes on in the next
    sequence of the same document, so sequences are full but for each document's last.
    """
    rows: list[tuple[list[int], list[int]]] = []
    for pieces in doc_pieces:
        ids, words, next_word = [cls_id], [-1], 0
        for piece_ids, piece_words in pieces:
            while piece_ids:
                room = seq_len - len(ids) - 1
                if len(piece_ids) <= room:
                    cut = len(piece_ids)
                elif room >= MIN_CUT or len(ids) == 1:
                    cut = _word_cut(piece_words, room)
                else:  # too little room to be worth a cut: start a new sequence
                    rows.append((ids, words))
                    ids, words, next_word = [cls_id], [-1], 0
                    continue
                first = piece_words[0]
                ids += [*piece_ids[:cut], sep_id]
                words += [next_word + w - first for w in piece_words[:cut]] + [-1]
                next_word += piece_words[cut - 1] - first + 1
                piece_ids, piece_words = piece_ids[cut:], piece_words[cut:]
                if len(ids) >= seq_len - 1:
                    rows.append((ids, words))
                    ids, words, next_word = [cls_id], [-1], 0
        if len(ids) > 1:
            rows.append((ids, words))
    count = len(rows)
    id_tensor = torch.zeros((count, seq_len), dtype=torch.long)
    word_tensor = torch.full((count, seq_len), -1, dtype=torch.long)
    for row, (ids, words) in enumerate(rows):
        id_tensor[row, : len(ids)] = torch.tensor(ids)
        word_tensor[row, : len(words)] = torch.tensor(words)
    lengths = torch.tensor([len(ids) for ids, _ in rows], dtype=torch.long)
    return Sequences(id_tensor, word_tensor, lengths)


# ---------------------------------------------------------------------------
# Whole-word masking


def whole_word_mask(
    input_ids: torch.Tensor,
    word_ids: torch.Tensor,
    *,
    rng: np.random.Generator,
    mask_id: int,
    random_ids: torch.Tensor,
    rate: float = 0.15,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mask whole jieba words until ``rate`` of each row's tokens are chosen.

    ``word_ids`` numbers the words of each row (a word's tokens are contiguous;
    ``-1`` marks [CLS]/[SEP]/[PAD], which are never chosen). Returns the corrupted
    ids and the labels (the original id where chosen, ``-100`` elsewhere).
    """
    ids = input_ids.clone().numpy()
    words = word_ids.numpy()
    labels = np.full(ids.shape, IGNORE, dtype=np.int64)
    pool = random_ids.numpy()
    for row in range(ids.shape[0]):
        positions = np.flatnonzero(words[row] >= 0)
        if not len(positions):
            continue
        budget = max(1, round(len(positions) * rate))
        _, starts, counts = np.unique(words[row, positions], return_index=True, return_counts=True)
        covered = 0
        for k in rng.permutation(len(starts)):
            if covered >= budget:
                break
            if covered + counts[k] > budget:
                continue
            span = positions[starts[k] : starts[k] + counts[k]]
            covered += counts[k]
            labels[row, span] = ids[row, span]
            draw = rng.random()
            if draw < MASK_SHARE:
                ids[row, span] = mask_id
            elif draw < MASK_SHARE + RANDOM_SHARE:
                ids[row, span] = pool[rng.integers(len(pool), size=len(span))]
    return torch.from_numpy(ids), torch.from_numpy(labels)


# ---------------------------------------------------------------------------
# Model, loss, evaluation


def mlm_loss(
    model: BertForMaskedLM, ids: torch.Tensor, attention: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, int]:
    """Mean cross-entropy over masked positions; the head runs on those rows only."""
    hidden = model.bert(input_ids=ids, attention_mask=attention).last_hidden_state
    chosen = labels != IGNORE
    count = int(chosen.sum())
    if count == 0:
        return hidden.sum() * 0.0, 0
    logits = model.cls(hidden[chosen])
    return F.cross_entropy(logits, labels[chosen]), count


@dataclass
class EvalSet:
    batches: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]  # ids, attention, labels

    @classmethod
    def build(
        cls, sequences: Sequences, *, seed: int, rate: float, mask_id: int, random_ids: torch.Tensor
    ) -> EvalSet:
        rng = np.random.default_rng([seed, 2])
        batches = []
        for start in range(0, len(sequences), EVAL_BATCH):
            rows = list(range(start, min(start + EVAL_BATCH, len(sequences))))
            ids, words, attention = sequences.batch(rows)
            masked, labels = whole_word_mask(
                ids, words, rng=rng, mask_id=mask_id, random_ids=random_ids, rate=rate
            )
            batches.append((masked, attention, labels))
        return cls(batches)

    @torch.no_grad()
    def evaluate(self, model: BertForMaskedLM) -> HeldOut | None:
        was_training = model.training
        model.eval()
        total, count = 0.0, 0
        for ids, attention, labels in self.batches:
            loss, n = mlm_loss(model, ids, attention, labels)
            total += float(loss) * n
            count += n
        model.train(was_training)
        if not count:
            return None
        mean = total / count
        return HeldOut(round(mean, 4), round(math.exp(mean), 2), count)


class LinearSchedule:
    """Linear warm-up, then linear decay to zero at step ``total``.

    ``total`` starts at the requested steps; :meth:`fit` moves it so that the run
    ends within a time budget, never beyond the request. A callable object rather
    than a function, so ``LambdaLR.state_dict`` saves ``total`` and a resumed run
    keeps the fitted schedule.
    """

    def __init__(self, warmup: int, total: int) -> None:
        self.warmup = warmup
        self.requested = total
        self.total = total

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return step / max(1, self.warmup)
        return max(0.0, (self.total - step) / max(1, self.total - self.warmup))

    def fit(self, step: int, seconds_per_step: float, seconds_left: float) -> bool:
        """Move ``total`` to what ``seconds_left`` affords; whether it moved.

        It shrinks whenever the run would overrun, and grows back (up to the
        request) only by more than ``FIT_SLACK``, so timing noise does not make the
        learning rate jitter.
        """
        affordable = int(FIT_MARGIN * max(seconds_left, 0.0) / max(seconds_per_step, 1e-9))
        total = min(self.requested, max(step + affordable, self.warmup + 1, step + 1))
        if total < self.total or total > self.total * (1 + FIT_SLACK):
            self.total = total
            return True
        return False


def _optimizer(model: BertForMaskedLM, config: PretrainConfig) -> torch.optim.AdamW:
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        (no_decay if parameter.ndim < 2 or "LayerNorm" in name else decay).append(parameter)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.learning_rate, betas=(0.9, 0.98), eps=1e-6)


# ---------------------------------------------------------------------------
# Checkpoints


def checkpoint_dir(out: Path) -> Path:
    return Path(out).with_name(Path(out).name + ".checkpoint")


def _save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic.write_bytes(path, buffer.getvalue())


def _load_checkpoint(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ModelError(f"no checkpoint at {path} to resume from; run without --resume")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file
        raise ModelError(f"cannot read checkpoint {path} ({exc.__class__.__name__})") from exc


def _rng_state() -> dict[str, Any]:
    return {"torch": torch.get_rng_state(), "python": random.getstate()}


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])


def _fingerprint(tokens: Sequence[str], *parts: Sequences) -> str:
    digest = hashlib.sha256("\n".join(tokens).encode("utf-8"))
    for sequences in parts:
        digest.update(sequences.ids.numpy().tobytes())
        digest.update(sequences.words.numpy().tobytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------
# Progress


class _Reporter:
    """A rich progress bar on a terminal; a log line every ``LOG_EVERY`` steps elsewhere."""

    def __init__(self, enabled: bool) -> None:
        self.console = Console(stderr=True)
        self.enabled = enabled
        self.total = 0
        self.progress: Progress | None = None

    def note(self, message: str) -> None:
        if self.enabled:
            self.console.print(message)

    def start(self, total: int, done: int) -> None:
        self.total = total
        if not (self.enabled and self.console.is_terminal):
            return
        self.progress = Progress(
            TextColumn("pretrain"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.3f}"),
            TextColumn("{task.fields[speed]:,.0f} tok/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            "pretrain", total=total, completed=done, loss=0.0, speed=0.0
        )

    def update(self, step: int, loss: float, speed: float) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=step, loss=loss, speed=speed)
        elif self.enabled and (step % LOG_EVERY == 0 or step == self.total):
            self.console.print(f"step {step}/{self.total}  loss {loss:.3f}  {speed:,.0f} tok/s")

    def retotal(self, total: int) -> None:
        self.note(f"rescheduled to {total} steps to finish within the time budget")
        self.total = total
        if self.progress is not None:
            self.progress.update(self.task, total=total)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


class _StopRequest:
    """SIGINT/SIGTERM ask the loop to stop (and save) at the next step boundary.

    A second signal interrupts at once; the last periodic checkpoint remains.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.reason is not None:
            raise KeyboardInterrupt
        self.reason = f"signal {signal.Signals(signum).name}"

    def __enter__(self) -> _StopRequest:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not the main thread: no graceful stop
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


# ---------------------------------------------------------------------------
# The run


@dataclass
class _Prepared:
    vocab: Vocabulary
    tokenizer: PreTrainedTokenizerFast
    train: Sequences
    long: Sequences
    heldout: Sequences
    eval_set: EvalSet
    random_ids: torch.Tensor
    corpus: dict[str, Any]
    unk: dict[str, float]
    fingerprint: str


def _stats(
    docs: Sequence[Document], pieces: Sequence[Sequence[Piece]], *parts: Sequences
) -> dict[str, Any]:
    """Counts; ``tokens`` are the text's, ``sequence_tokens`` add [CLS] and [SEP]s."""
    return {
        "documents": len(docs),
        "paragraphs": sum(len(d.paragraphs) for d in docs),
        "characters": sum(len(p) for d in docs for p in d.paragraphs),
        "tokens": sum(len(ids) for doc in pieces for ids, _ in doc),
        "sequences": sum(len(s) for s in parts),
        "sequence_tokens": sum(s.tokens for s in parts),
    }


def prepare(
    config: PretrainConfig, pool_file: Path, seeds_dir: Path | None, texts: Sequence[Path]
) -> _Prepared:
    """Corpus, split, vocabulary, tokenizer, packed sequences and the fixed eval masks."""
    docs = load_corpus(pool_file, seeds_dir, texts)
    train_docs, held_docs = split_heldout(docs, config.heldout_fraction, config.seed)
    paragraphs = [p for d in docs for p in d.paragraphs]
    vocab = build_vocab(
        paragraphs, common_chars=config.common_chars, min_char_count=config.min_char_count
    )
    tokenizer = build_tokenizer(vocab.tokens, config.max_position)
    cutter = WordCutter()
    train_pieces = encode_documents(train_docs, tokenizer, cutter)
    held_pieces = encode_documents(held_docs, tokenizer, cutter)
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    train = pack(train_pieces, config.seq_len, cls_id, sep_id)
    long = pack(train_pieces, config.max_position, cls_id, sep_id)
    heldout = pack(held_pieces, config.seq_len, cls_id, sep_id)
    if not len(train):
        raise ModelError("no training text left after holding out documents")
    specials = set(tokenizer.all_special_ids)
    random_ids = torch.tensor(sorted(set(train.ids[train.ids > 0].tolist()) - specials))
    mask_id = tokenizer.mask_token_id
    eval_set = EvalSet.build(
        heldout, seed=config.seed, rate=config.mask_rate, mask_id=mask_id, random_ids=random_ids
    )
    sources = collections.Counter(d.source for d in docs)
    corpus = {
        **_stats(docs, [*train_pieces, *held_pieces], train, heldout),
        "by_source": {s: sources[s] for s in sorted(sources)},
        "pool_file": str(pool_file),
        "seeds_dir": str(seeds_dir) if seeds_dir is not None else None,
        "texts": [str(t) for t in texts],
        "train": _stats(train_docs, train_pieces, train),
        "heldout": {
            **_stats(held_docs, held_pieces, heldout),
            "doc_ids": [d.doc_id for d in held_docs],
        },
    }
    unk = {
        "corpus": round(unk_rate(tokenizer, paragraphs), 6),
        "heldout": round(unk_rate(tokenizer, [p for d in held_docs for p in d.paragraphs]), 6),
        "bert_base_chinese": round(vocab.base_unk_rate, 6),
    }
    return _Prepared(
        vocab=vocab,
        tokenizer=tokenizer,
        train=train,
        long=long,
        heldout=heldout,
        eval_set=eval_set,
        random_ids=random_ids,
        corpus=corpus,
        unk=unk,
        fingerprint=_fingerprint(vocab.tokens, train, heldout),
    )


def _batch_rows(step: int, count: int, batch: int, seed: int, stream: int) -> np.ndarray:
    """The rows of batch ``step``: seeded epoch permutations, nothing else."""
    per_epoch = max(1, count // batch)
    epoch, index = divmod(step, per_epoch)
    order = np.random.default_rng([seed, stream, epoch]).permutation(count)
    return order[index * batch : (index + 1) * batch]


class StepTimer:
    """Step durations; the estimate is the slower of the recent and the session mean.

    A burst of fast steps on a shared machine does not lengthen a fitted schedule
    (only a sustained speed-up does), while a slowdown shortens it at once.
    """

    def __init__(self) -> None:
        self.recent: collections.deque[float] = collections.deque(maxlen=FIT_WINDOW)
        self.count = 0
        self.total = 0.0

    def add(self, seconds: float) -> None:
        self.recent.append(seconds)
        self.count += 1
        self.total += seconds

    def seconds_per_step(self) -> float:
        if not self.count:
            return 0.0
        return max(sum(self.recent) / len(self.recent), self.total / self.count)


def _train_step(
    model: BertForMaskedLM,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    data: _Prepared,
    config: PretrainConfig,
    step: int,
) -> tuple[float, int]:
    """One optimisation step; its batch and masks depend only on the seed and ``step``."""
    is_long, index = config.batch_source(step)
    if is_long:
        sequences, batch, stream = data.long, config.long_batch, 3
    else:
        sequences, batch, stream = data.train, config.batch_size, 1
    rows = _batch_rows(index, len(sequences), batch, config.seed, stream)
    ids, words, attention = sequences.batch(rows)
    masked, labels = whole_word_mask(
        ids,
        words,
        rng=np.random.default_rng([config.seed, 4, step]),
        mask_id=data.tokenizer.mask_token_id,
        random_ids=data.random_ids,
        rate=config.mask_rate,
    )
    loss, _ = mlm_loss(model, masked, attention, labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item(), int(attention.sum())


def _config_mismatch(saved: PretrainConfig, given: PretrainConfig) -> list[str]:
    return [
        f"{f.name} {getattr(saved, f.name)} -> {getattr(given, f.name)}"
        for f in fields(PretrainConfig)
        if f.name not in OPERATIONAL_FIELDS and getattr(saved, f.name) != getattr(given, f.name)
    ]


def pretrain(
    out: Path | None = None,
    *,
    config: PretrainConfig | None = None,
    texts: Sequence[Path] = (),
    resume: bool = False,
    max_minutes: float | None = 18.0,
    stop_after: int | None = None,
    pool_file: Path | None = None,
    seeds_dir: Path | None = None,
    progress: bool = True,
    fit_budget: bool = True,
    on_step: Callable[[int, float], None] | None = None,
) -> PretrainResult:
    """Pretrain a compact BERT by whole-word MLM and save it as a base model dir.

    ``out`` defaults to ``<data_dir>/base/policytag-zh-mini``; ``pool_file`` and
    ``seeds_dir`` default to the settings. ``config`` defaults to
    ``PretrainConfig(seed=settings.seed)``, or to the checkpoint's with ``resume``
    (a different one is refused). ``max_minutes`` bounds this call's wall time
    (``None`` or 0: no bound): with ``fit_budget`` the schedule is fitted to
    it, and a run out of time stops. ``stop_after`` pauses after that many steps of
    this call. A stopped run writes a checkpoint and the base dir, with
    ``completed: false`` in the manifest; ``resume=True`` continues exactly where it
    stopped. ``on_step(step, loss)`` is called after every step.
    """
    from policytag.settings import get_settings

    started = time.monotonic()
    settings = get_settings()
    out = Path(out) if out is not None else settings.data_dir / "base" / BASE_NAME
    pool_file = Path(pool_file) if pool_file is not None else settings.pool_file
    seeds_dir = Path(seeds_dir) if seeds_dir is not None else settings.seeds_dir
    ckpt_path = checkpoint_dir(out) / CHECKPOINT
    state: dict[str, Any] | None = None
    if not pool_file.is_file():
        read_pool(pool_file)  # raises the error that names POLICYTAG_POOL_DIR
    if resume:
        state = _load_checkpoint(ckpt_path)
        saved = PretrainConfig(**state["config"])
        if config is not None and (diff := _config_mismatch(saved, config)):
            raise ModelError(
                "the checkpoint was trained with another config (" + ", ".join(diff) + "); "
                "resume without changing it, or start afresh without --resume"
            )
        config = replace(saved, **({"checkpoint_every": config.checkpoint_every} if config else {}))
        texts = texts or [Path(t) for t in state["texts"]]
    config = config or PretrainConfig(seed=settings.seed)

    random.seed(config.seed)
    torch.manual_seed(config.seed)
    reporter = _Reporter(progress)
    reporter.note(
        f"preparing the corpus from {pool_file}, {seeds_dir} and {len(texts)} extra file(s)"
    )
    data = prepare(config, pool_file, seeds_dir, texts)
    if state is not None and state["fingerprint"] != data.fingerprint:
        raise ModelError(
            "the corpus or vocabulary changed since the checkpoint was written; "
            "start afresh without --resume"
        )
    prepare_seconds = time.monotonic() - started
    reporter.note(
        f"{data.corpus['documents']} documents, {data.corpus['tokens']:,} tokens, "
        f"{len(data.train)} training sequences; vocab {len(data.vocab.tokens)}, "
        f"[UNK] rate {data.unk['corpus']:.4%}"
    )

    torch.manual_seed(config.seed)
    model = BertForMaskedLM(config.bert_config(len(data.vocab.tokens)))
    optimizer = _optimizer(model, config)
    schedule = LinearSchedule(round(config.warmup_ratio * config.steps), config.steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    losses: list[float] = []
    step, train_seconds, tokens_seen, sessions = 0, 0.0, 0, 1
    eval_started = time.monotonic()
    if state is None:
        before = data.eval_set.evaluate(model)
        eval_seconds = time.monotonic() - eval_started
    else:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        before = HeldOut(**state["before"]) if state["before"] else None
        eval_seconds = state["eval_seconds"]
        step, losses = state["step"], list(state["losses"])
        train_seconds, tokens_seen = state["train_seconds"], state["tokens_seen"]
        sessions = state["sessions"] + 1
        _set_rng_state(state["rng"])
    if before is not None:
        reporter.note(
            f"held-out MLM loss before training {before.loss:.3f} (ppl {before.perplexity:,.1f})"
        )

    def snapshot() -> dict[str, Any]:
        return {
            "format": FORMAT,
            "config": asdict(config),
            "texts": [str(t) for t in texts],
            "fingerprint": data.fingerprint,
            "step": step,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": _rng_state(),
            "losses": losses,
            "before": asdict(before) if before else None,
            "eval_seconds": eval_seconds,
            "train_seconds": train_seconds,
            "tokens_seen": tokens_seen,
            "sessions": sessions,
        }

    budget = max_minutes * 60 if max_minutes else math.inf
    reserve = 2 * eval_seconds + 5.0
    stopped = "finished"
    session_steps, session_tokens, session_started = 0, 0, time.monotonic()
    timer = StepTimer()
    smooth = losses[-1] if losses else 0.0
    model.train()
    reporter.start(schedule.total, step)
    try:
        with _StopRequest() as stop_request:
            while step < schedule.total:
                per_step = timer.seconds_per_step()
                time_left = budget - (time.monotonic() - started) - reserve
                fit_now = (
                    fit_budget
                    and math.isfinite(budget)
                    and timer.count >= FIT_AFTER
                    and session_steps % 10 == 0
                )
                if fit_now and schedule.fit(step, per_step, time_left):
                    reporter.retotal(schedule.total)
                if time_left <= 2 * per_step:
                    stopped = "time budget"
                    break
                if stop_after is not None and session_steps >= stop_after:
                    stopped = "stop_after"
                    break
                if stop_request.reason is not None:
                    stopped = stop_request.reason
                    break
                step_started = time.monotonic()
                value, count = _train_step(model, optimizer, scheduler, data, config, step)
                step += 1
                session_steps += 1
                if session_steps > FIT_SKIP:
                    timer.add(time.monotonic() - step_started)
                losses.append(round(value, 5))
                smooth = value if len(losses) == 1 else 0.95 * smooth + 0.05 * value
                tokens_seen += count
                session_tokens += count
                train_seconds += time.monotonic() - step_started
                speed = session_tokens / max(time.monotonic() - session_started, 1e-9)
                reporter.update(step, smooth, speed)
                if on_step is not None:
                    on_step(step, value)
                if step % config.checkpoint_every == 0 and step < schedule.total:
                    _save_checkpoint(ckpt_path, snapshot())
    finally:
        reporter.close()
    _save_checkpoint(ckpt_path, snapshot())
    after = data.eval_set.evaluate(model)
    completed = step >= schedule.total
    if after is not None:
        reporter.note(
            f"held-out MLM loss after {step} steps {after.loss:.3f} (ppl {after.perplexity:,.1f})"
        )
    seconds = time.monotonic() - started
    manifest = _manifest(
        config=config,
        data=data,
        step=step,
        completed=completed,
        stopped=stopped,
        before=before,
        after=after,
        losses=losses,
        timing={
            "session": round(seconds, 1),
            "prepare": round(prepare_seconds, 1),
            "training_total": round(train_seconds, 1),
            "sessions": sessions,
            "tokens_per_second": round(
                session_tokens / max(time.monotonic() - session_started, 1e-9)
            ),
        },
        tokens_seen=tokens_seen,
        planned=schedule.total,
    )
    model.eval()
    with atomic.directory(out) as tmp:
        _save_quietly(model, tmp)
        save_tokenizer(data.tokenizer, data.vocab.tokens, tmp)
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    manifest["timing"]["session"] = round(time.monotonic() - started, 1)
    return PretrainResult(
        out_dir=out,
        completed=completed,
        steps=step,
        planned_steps=schedule.total,
        seconds=manifest["timing"]["session"],
        before=before,
        after=after,
        manifest=manifest,
    )


def _save_quietly(model: BertForMaskedLM, directory: Path) -> None:
    """``save_pretrained`` without transformers' one-shard progress bar."""
    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(directory)
    finally:
        if shown:
            hf_logging.enable_progress_bar()


def _loss_curve(losses: Sequence[float], points: int = 20) -> list[dict[str, float]]:
    """Mean training loss over ``points`` equal stretches of the run so far."""
    if not losses:
        return []
    size = max(1, math.ceil(len(losses) / points))
    return [
        {
            "step": min(start + size, len(losses)),
            "loss": round(float(np.mean(losses[start : start + size])), 4),
        }
        for start in range(0, len(losses), size)
    ]


def _manifest(
    *,
    config: PretrainConfig,
    data: _Prepared,
    step: int,
    completed: bool,
    stopped: str,
    before: HeldOut | None,
    after: HeldOut | None,
    losses: Sequence[float],
    timing: dict[str, Any],
    tokens_seen: int,
    planned: int,
) -> dict[str, Any]:
    vocab = data.vocab
    return {
        "format": FORMAT,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "completed": completed,
        "stopped": stopped,
        "steps": step,
        "planned_steps": planned,
        "requested_steps": config.steps,
        "fitted_to_budget": planned < config.steps,
        "epochs": round(tokens_seen / max(data.train.tokens, 1), 2),
        "tokens_seen": tokens_seen,
        "max_trained_length": config.max_position
        if config.long_period and step >= config.long_period
        else config.seq_len,
        "timing": timing,
        "corpus": data.corpus,
        "vocab": {
            "size": len(vocab.tokens),
            "base": "bert-base-chinese (models/bert/vocab)",
            "from_corpus": vocab.from_corpus,
            "common_chars_added": vocab.common_added,
            "fallbacks_added": vocab.fallback_added,
            "added_in_unused_slots": vocab.added,
            "unused_left": sum(t.startswith("[unused") for t in vocab.tokens),
        },
        "unk_rate": data.unk,
        "heldout": {
            "before": asdict(before) if before else None,
            "after": asdict(after) if after else None,
        },
        "train_loss": _loss_curve(losses),
        "config": asdict(config),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
    }
