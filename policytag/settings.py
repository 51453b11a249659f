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

PLACEHOLDER_SECRETS = {"changethis", "change-me", "secret", "password"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICYTAG_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path(".policytag"), description="Model store, jobs DB, rounds cache.")
    model_store: Path | None = Field(None, description="Defaults to <data_dir>/models.")
    pool_dir: Path = Field(Path("../shared/pool"), description="Unlabelled pool (pool.jsonl).")
    seeds_dir: Path = Field(Path("seeds"), description="Seed replies and gold.jsonl.")
    rounds_dir: Path = Field(Path("annotation/rounds"), description="Annotation round files.")
    base_model: str = Field(
        "hfl/rbt3",
        description="Hub id or local directory of the BERT to fine-tune.",
    )
    tokenizer_dir: Path | None = Field(
        None, description="Tokenizer files; defaults to the copy shipped in models/bert."
    )
    max_text_chars: int = Field(200_000, gt=0)
    max_texts_per_request: int = Field(256, gt=0)
    max_upload_bytes: int = Field(50 * 1024 * 1024, gt=0)
    api_key: SecretStr | None = None
    label_studio_url: str = "http://127.0.0.1:8089"
    label_studio_token: SecretStr | None = None
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
    def pool_file(self) -> Path:
        return self.pool_dir / "pool.jsonl"

    @property
    def gold_file(self) -> Path:
        return self.seeds_dir / "gold.jsonl"


@lru_cache
def get_settings() -> Settings:
    """Cached so the whole process shares one view; tests call ``cache_clear()``."""
    return Settings()
