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
    privacy_key_file: Path | None = Field(
        default=None,
        description="Pseudonymisation key ring (JSON, from `civicflow privacy keygen`) kept outside "
        "the workspace; it also encrypts the application's sensitive fields at rest. Without it "
        "ingest refuses to pseudonymise and those fields are stored clear",
    )
    privacy_log_paths: list[Path] | None = Field(
        default=None,
        description="Application log files or folders (JSON list) the erasure verification scan "
        "searches besides the `.log` files in `home`, e.g. the web server's log",
    )
    secret_key: str | None = Field(default=None, description="Session-cookie signing secret")
    assistant_generator_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint the agency runs itself (e.g. "
        "http://localhost:8000/v1) that rephrases the assistant's answers; none: extractive only",
    )
    assistant_generator_model: str = Field(
        default="", description="The model the generator endpoint serves (its `model` field)"
    )
    assistant_generator_key_file: Path | None = Field(
        default=None, description="File holding the generator endpoint's API key (never logged)"
    )
    engine: str = Field(default="duckdb", description="Analytics engine: duckdb or spark")
    spark_master: str = Field(
        default="local[2]",
        description="Spark master URL for the spark engine (local[N], spark://host:7077, yarn)",
    )
    max_upload_bytes: int = Field(default=2 * 1024**3, description="Largest accepted upload")
    browser: str | None = Field(
        default=None,
        description="Headless Chromium that draws map SVG/PNG and report PDF exports "
        "(default: chromium, chromium-browser or google-chrome on the PATH)",
    )
    ingest_memory_budget: int = Field(
        default=4 * 1024**3,
        ge=16 * 1024**2,
        description="Bytes of memory one ingest may hold (buffered events, the sort); beyond, it spills",
    )
    ingest_max_element_bytes: int = Field(
        default=32 * 1024**2,
        ge=1024**2,
        description="Largest single XES trace (or log header) an ingest accepts",
    )
    ingest_max_decompressed_bytes: int = Field(
        default=32 * 1024**3,
        ge=1024**2,
        description="Largest size a compressed event log may expand to",
    )
    ingest_max_expansion_ratio: int = Field(
        default=200,
        ge=2,
        description="Largest ratio of decompressed to compressed size an ingest accepts",
    )

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
