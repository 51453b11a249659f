"""The joint network: six measure labels on [CLS], BIO entity tags on every token.

One encoder serves both tasks because the gold is small (80 segments): the tag
loss teaches the encoder which names matter, and the label loss which measures.
The head sizes, the label and tag lists and the loss weights live in the config,
so ``save_pretrained``/``from_pretrained`` round-trip a fine-tuned model, while
``from_pretrained`` on any BERT checkpoint (``BertForMaskedLM``, ``BertModel``)
maps its ``bert.`` weights and initialises fresh heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import BertConfig, BertModel, BertPreTrainedModel

from models.bert.tags import IGNORE_INDEX, TAGS
from models.schema import MEASURE_LABELS

DEFAULT_TAG_LOSS_WEIGHT = 1.0


def configure(
    config: BertConfig,
    *,
    tag_loss_weight: float | None = None,
    label_pos_weight: list[float] | None = None,
) -> BertConfig:
    """Write policytag's fields into a BERT config (in place) and return it.

    Fields already there (a fine-tuned model's config) are kept unless given.
    """
    config.measure_labels = list(getattr(config, "measure_labels", None) or MEASURE_LABELS)
    config.tag_names = list(getattr(config, "tag_names", None) or TAGS)
    if tag_loss_weight is not None:
        config.tag_loss_weight = float(tag_loss_weight)
    elif getattr(config, "tag_loss_weight", None) is None:
        config.tag_loss_weight = DEFAULT_TAG_LOSS_WEIGHT
    if label_pos_weight is not None:
        if len(label_pos_weight) != len(config.measure_labels):
            raise ValueError(
                f"{len(label_pos_weight)} pos weights for {len(config.measure_labels)} labels"
            )
        config.label_pos_weight = [float(w) for w in label_pos_weight]
    elif not hasattr(config, "label_pos_weight"):
        config.label_pos_weight = None
    config.id2label = dict(enumerate(config.measure_labels))
    config.label2id = {label: i for i, label in enumerate(config.measure_labels)}
    return config


@dataclass
class JointOutput:
    """Raw head outputs; ``loss`` is set only when targets were given."""

    label_logits: torch.Tensor  # (batch, n_labels)
    tag_logits: torch.Tensor  # (batch, seq_len, n_tags)
    loss: torch.Tensor | None = None


class JointBertModel(BertPreTrainedModel):
    """BERT encoder with a multi-label head on [CLS] and a BIO tag head per token."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__(config)
        configure(config)
        self.n_labels = len(config.measure_labels)
        self.n_tags = len(config.tag_names)
        self.bert = BertModel(config, add_pooling_layer=False)
        dropout = getattr(config, "classifier_dropout", None)
        self.dropout = nn.Dropout(config.hidden_dropout_prob if dropout is None else dropout)
        self.label_head = nn.Linear(config.hidden_size, self.n_labels)
        self.tag_head = nn.Linear(config.hidden_size, self.n_tags)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        label_targets: torch.Tensor | None = None,
        tag_targets: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
    ) -> JointOutput:
        """Logits for both heads, plus the joint loss when targets are given.

        The loss is averaged per sample first (BCE over labels, CE over the sample's
        tagged tokens), so ``sample_weight`` scales whole examples: weak labels can
        count less than gold without changing how long texts weigh against short.
        """
        hidden = self.bert(
            input_ids=input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            return_dict=True,
        ).last_hidden_state
        hidden = self.dropout(hidden)
        label_logits = self.label_head(hidden[:, 0])
        tag_logits = self.tag_head(hidden)
        loss = None
        if label_targets is not None or tag_targets is not None:
            loss = self._loss(label_logits, tag_logits, label_targets, tag_targets, sample_weight)
        return JointOutput(label_logits=label_logits, tag_logits=tag_logits, loss=loss)

    def _loss(
        self,
        label_logits: torch.Tensor,
        tag_logits: torch.Tensor,
        label_targets: torch.Tensor | None,
        tag_targets: torch.Tensor | None,
        sample_weight: torch.Tensor | None,
    ) -> torch.Tensor:
        per_sample = label_logits.new_zeros(label_logits.shape[0])
        if label_targets is not None:
            pos_weight = None
            if self.config.label_pos_weight is not None:
                pos_weight = label_logits.new_tensor(self.config.label_pos_weight)
            bce = F.binary_cross_entropy_with_logits(
                label_logits,
                label_targets.to(label_logits.dtype),
                pos_weight=pos_weight,
                reduction="none",
            )
            per_sample = per_sample + bce.mean(dim=1)
        if tag_targets is not None:
            ce = F.cross_entropy(
                tag_logits.transpose(1, 2), tag_targets, ignore_index=IGNORE_INDEX, reduction="none"
            )
            n_tagged = (tag_targets != IGNORE_INDEX).sum(dim=1).clamp(min=1)
            per_sample = per_sample + self.config.tag_loss_weight * ce.sum(dim=1) / n_tagged
        if sample_weight is None:
            return per_sample.mean()
        weight = sample_weight.to(per_sample.dtype)
        return (per_sample * weight).sum() / weight.sum().clamp(min=1e-12)
