"""Settings from the environment (``CIVICFLOW_*``), with embedded defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime settings. Every field has an embedded default that works on one laptop."""

    model_config = SettingsConfigDict(env_prefix="CIVICFLOW_", extra="ignore")

    home: Path = Field(default=Path(".civicflow"), description="Folder for workspaces and state")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the application database; default SQLite in `home`",
    )
    ledger_signing_key_file: Path | None = Field(
        default=None,
        description="Ed25519 private key (PEM) that signs ledger checkpoints; kept apart from the data",
    )
    ledger_tree_head_file: Path | None = Field(
        default=None,
        description="File where the latest signed ledger tree head is published after every "
        "change (atomically replaced); default `ledger-tree-head.json` in `home`",
    )
    secret_key: str | None = Field(default=None, description="Session-cookie signing secret")
    engine: str = Field(default="duckdb", description="Analytics engine: duckdb or spark")
    spark_master: str = Field(
        default="local[2]",
        description="Spark master URL for the spark engine (local[N], spark://host:7077, yarn)",
    )
    max_upload_bytes: int = Field(default=2 * 1024**3, description="Largest accepted upload")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'civicflow.db').resolve()}"

    def resolved_tree_head_file(self) -> Path:
        if self.ledger_tree_head_file is not None and str(self.ledger_tree_head_file) != ".":
            return self.ledger_tree_head_file
        return self.home / "ledger-tree-head.json"


def get_settings() -> Settings:
    return Settings()
