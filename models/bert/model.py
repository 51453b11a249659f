"""The joint network: six measure labels on [CLS], BIO entity tags on every token.

One encoder serves both tasks because the gold is small (80 segments): the tag
loss teaches the encoder which names matter, and the label loss which measures.
The head sizes, the label and tag lists and the loss weights live in the config,
so ``save_pretrained``/``from_pretrained`` round-trip a fine-tuned model, while
``from_pretrained`` on any BERT checkpoint (``BertForMaskedLM``, ``BertModel``)
maps its ``bert.`` weights and initialises fresh heads.

With ``config.rule_features`` the heads also read what the ``rules`` baseline
says: its six label scores shift the label logits and its BIO tag per token
shifts the tag logits (``RuleFeatureHead``). Both start from a prior that
trusts the rules, so a small encoder trained on a few hundred segments begins
at the rules' decisions and learns where the gold disagrees with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F
from transformers import BertConfig, BertModel, BertPreTrainedModel
from transformers import initialization as init

from models.bert.tags import IGNORE_INDEX, TAGS
from models.schema import MEASURE_LABELS

DEFAULT_TAG_LOSS_WEIGHT = 1.0
DEFAULT_ENTITY_TAG_WEIGHT = 1.0
# Logit shift for full rule agreement at initialisation: rules alone decide at first.
RULE_PRIOR = 3.0


def configure(
    config: BertConfig,
    *,
    tag_loss_weight: float | None = None,
    label_pos_weight: list[float] | None = None,
    rule_features: bool | None = None,
    entity_tag_weight: float | None = None,
) -> BertConfig:
    """Write policytag's fields into a BERT config (in place) and return it.

    Fields already there (a fine-tuned model's config) are kept unless given.
    ``entity_tag_weight`` weighs the cross-entropy of every non-``O`` tag, so the
    rare entity tokens are not drowned by ``O``.
    """
    config.measure_labels = list(getattr(config, "measure_labels", None) or MEASURE_LABELS)
    config.tag_names = list(getattr(config, "tag_names", None) or TAGS)
    if rule_features is not None:
        config.rule_features = bool(rule_features)
    elif not hasattr(config, "rule_features"):
        config.rule_features = False
    if entity_tag_weight is not None:
        config.entity_tag_weight = float(entity_tag_weight)
    elif getattr(config, "entity_tag_weight", None) is None:
        config.entity_tag_weight = DEFAULT_ENTITY_TAG_WEIGHT
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


class RuleFeatureHead(nn.Module):
    """Logit shifts from the rules: a weight per label, a table per (rule tag, tag)."""

    def __init__(self, n_labels: int, n_tags: int) -> None:
        super().__init__()
        self.label_weight = nn.Parameter(torch.empty(n_labels))
        self.tag_table = nn.Parameter(torch.empty(n_tags, n_tags))
        self.reset_prior()

    def reset_prior(self) -> None:
        """Trust the rules: +prior for agreeing with them, -prior for a label they deny."""
        init.constant_(self.label_weight, RULE_PRIOR)
        init.copy_(self.tag_table, RULE_PRIOR * torch.eye(self.tag_table.shape[0]))

    def forward(
        self,
        label_logits: torch.Tensor,
        tag_logits: torch.Tensor,
        rule_scores: torch.Tensor,
        rule_tags: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        centred = 2.0 * rule_scores.to(label_logits.dtype) - 1.0  # rules' [0, 1] → [-1, 1]
        return label_logits + self.label_weight * centred, tag_logits + self.tag_table[rule_tags]


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
        self.rule_head = (
            RuleFeatureHead(self.n_labels, self.n_tags) if config.rule_features else None
        )
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, RuleFeatureHead):
            module.reset_prior()
        else:
            super()._init_weights(module)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        rule_scores: torch.Tensor | None = None,
        rule_tags: torch.Tensor | None = None,
        label_targets: torch.Tensor | None = None,
        tag_targets: torch.Tensor | None = None,
        sample_weight: torch.Tensor | None = None,
    ) -> JointOutput:
        """Logits for both heads, plus the joint loss when targets are given.

        A model with ``rule_features`` needs ``rule_scores`` (batch × labels, the
        rules' scores of the window's text) and ``rule_tags`` (batch × seq_len, the
        rules' BIO tag id per token, ``O`` on special and padding tokens).

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
        if self.rule_head is not None:
            if rule_scores is None or rule_tags is None:
                raise ValueError("this model reads rule features: pass rule_scores and rule_tags")
            label_logits, tag_logits = self.rule_head(
                label_logits, tag_logits, rule_scores, rule_tags
            )
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
            class_weight = tag_logits.new_full((self.n_tags,), self.config.entity_tag_weight)
            class_weight[0] = 1.0  # "O"
            ce = F.cross_entropy(
                tag_logits.transpose(1, 2),
                tag_targets,
                weight=class_weight,
                ignore_index=IGNORE_INDEX,
                reduction="none",
            )
            n_tagged = (tag_targets != IGNORE_INDEX).sum(dim=1).clamp(min=1)
            per_sample = per_sample + self.config.tag_loss_weight * ce.sum(dim=1) / n_tagged
        if sample_weight is None:
            return per_sample.mean()
        weight = sample_weight.to(per_sample.dtype)
        return (per_sample * weight).sum() / weight.sum().clamp(min=1e-12)
