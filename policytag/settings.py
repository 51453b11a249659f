"""The one Settings object. Nothing else reads ``os.environ``.

Every field can be set with an environment variable ``POLICYTAG_<FIELD>`` (or a
``.env`` file). Relative paths are relative to the working directory, which is
the repository root in the README's commands.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

HUB_BASE_MODEL = "hfl/rbt3"
PLACEHOLDER_SECRETS = {"changethis", "change-me", "secret", "password"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYTAG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".policytag"), description="Model store, jobs DB, rounds cache.")
    model_store: Path | None = Field(None, description="Defaults to <data_dir>/models.")
    pool_dir: Path = Field(Path("../shared/pool"), description="Unlabelled pool (pool.jsonl).")
    seeds_dir: Path = Field(Path("seeds"), description="Seed replies and gold.jsonl.")
    rounds_dir: Path = Field(Path("annotation/rounds"), description="Annotation round files.")
    base_model: str | None = Field(
        None,
        description=(
            "Hub id (e.g. hfl/rbt3, hfl/chinese-roberta-wwm-ext) or local directory of the "
            "BERT to fine-tune; default: the base `policytag pretrain` built, else hfl/rbt3."
        ),
    )
    # BERT fine-tuning. The defaults fit `policytag train` (3 fold models + the final
    # one) in about 5 minutes on 2 cores with the compact pretrained base.
    bert_epochs: int = Field(3, gt=0, description="Fine-tuning epochs (fixed, per fold).")
    bert_max_length: int = Field(128, gt=8, description="Tokens per window; longer texts slide.")
    bert_learning_rate: float = Field(3e-4, gt=0, description="Encoder's peak AdamW rate.")
    bert_head_learning_rate: float = Field(
        3e-3, gt=0, description="The heads' peak rate (fresh layers learn faster)."
    )
    bert_batch_size: int = Field(32, gt=0, description="Training windows per step.")
    bert_folds: int = Field(
        3, ge=2, description="Document folds for BERT's out-of-fold figures and thresholds."
    )
    bert_freeze_layers: int = Field(
        2, ge=0, description="Lower encoder layers (and embeddings) kept fixed; 0: none."
    )
    bert_rule_features: bool = Field(
        True, description="Hybrid: the network also reads the rules' label scores and tags."
    )
    bert_weak_examples: int = Field(
        0,
        ge=0,
        description="Pool segments labelled by the rules and added as weak labels; 0: none.",
    )
    bert_weak_weight: float = Field(0.3, gt=0, le=1, description="Loss weight of a weak example.")
    bert_entity_tag_weight: float = Field(
        3.0, gt=0, description="Loss weight of entity (non-O) tags against O."
    )
    torch_threads: int | None = Field(None, gt=0, description="Torch CPU threads; default: all.")
    tokenizer_dir: Path | None = Field(
        None, description="Tokenizer files; defaults to the copy shipped in models/bert."
    )
    max_text_chars: int = Field(200_000, gt=0)
    max_texts_per_request: int = Field(256, gt=0)
    max_upload_bytes: int = Field(50 * 1024 * 1024, gt=0)
    max_zip_members: int = Field(10_000, gt=0, description="Files in one uploaded zip.")
    max_unzipped_bytes: int = Field(
        200 * 1024 * 1024, gt=0, description="Total uncompressed size of one uploaded zip."
    )
    model: str = Field(
        "current",
        description="Model to serve and pre-annotate with: current (rules when the store "
        "is empty), rules, tfidf, bert, a stored version or a model directory.",
    )
    batch_max_texts: int = Field(64, gt=0, description="Most texts in one micro-batch.")
    batch_wait_ms: float = Field(5.0, ge=0, description="How long a micro-batch waits to fill.")
    batch_queue_size: int = Field(1024, gt=0, description="Requests waiting before 503.")
    api_key: SecretStr | None = None
    label_studio_url: str = "http://127.0.0.1:8089"
    label_studio_token: SecretStr | None = None
    label_studio_project: str = Field("policytag", description="Label Studio project title.")
    label_studio_timeout: float = Field(30.0, gt=0, description="Seconds per Label Studio call.")
    label_studio_dir: Path | None = Field(
        None, description="Local Label Studio server state; defaults to <data_dir>/labelstudio."
    )
    label_studio_venv: Path | None = Field(
        None, description="Label Studio's own venv; defaults to <data_dir>/labelstudio-venv."
    )
    seed: int = 13

    @field_validator("api_key")
    @classmethod
    def _no_placeholder_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("POLICYTAG_API_KEY is a placeholder; set a real secret")
        return value

    @property
    def store_dir(self) -> Path:
        return self.model_store or self.data_dir / "models"

    @property
    def pretrained_base(self) -> Path:
        """Where `policytag pretrain` writes the offline base model."""
        return self.data_dir / "base" / "policytag-zh-mini"

    @property
    def resolved_base_model(self) -> str:
        if self.base_model:
            return self.base_model
        return str(self.pretrained_base) if self.pretrained_base.is_dir() else HUB_BASE_MODEL

    @property
    def pool_file(self) -> Path:
        return self.pool_dir / "pool.jsonl"

    @property
    def label_studio_home(self) -> Path:
        return self.label_studio_dir or self.data_dir / "labelstudio"

    @property
    def label_studio_venv_dir(self) -> Path:
        return self.label_studio_venv or self.data_dir / "labelstudio-venv"

    @property
    def gold_file(self) -> Path:
        return self.seeds_dir / "gold.jsonl"


@lru_cache
def get_settings() -> Settings:
    """Cached so the whole process shares one view; tests call ``cache_clear()``."""
    return Settings()
