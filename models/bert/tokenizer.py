"""The tokenizer every BERT in policytag uses.

bert-base-chinese ships with ``lowercase: false`` but a vocabulary without
upper-case Latin pieces, so ``AI``, ``GTP`` or ``Med-Go`` would become ``[UNK]``,
and those are exactly the names the entity head must find. We lower-case in the
normaliser; ``offset_mapping`` still points into the original, unlowered text.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers.normalizers import BertNormalizer
from transformers import BertTokenizerFast, PreTrainedTokenizerFast

from models.errors import ModelError

SHIPPED_VOCAB = Path(__file__).resolve().parent / "vocab"


def lowercase(tokenizer: PreTrainedTokenizerFast) -> PreTrainedTokenizerFast:
    """Make a BERT fast tokenizer lower-case Latin text, keeping CJK handling."""
    tokenizer.backend_tokenizer.normalizer = BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    return tokenizer


def load_tokenizer(source: str | Path | None = None) -> PreTrainedTokenizerFast:
    """Load a fast tokenizer from a directory or hub id; default: the shipped copy."""
    location = str(source) if source is not None else str(SHIPPED_VOCAB)
    try:
        tokenizer = BertTokenizerFast.from_pretrained(location)
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot load a tokenizer from {location!r} ({exc.__class__.__name__}); "
            f"give a local directory with vocab.txt/tokenizer.json, e.g. {SHIPPED_VOCAB}"
        ) from exc
    return lowercase(tokenizer)
