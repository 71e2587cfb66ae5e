"""Typed settings, validated at load: defaults < YAML file < SHOPSEARCH_* environment < arguments.

The file is named by ``--config`` or ``SHOPSEARCH_CONFIG``. Every error names the file (or the
environment variable) and the key, e.g. ``shopsearch.yaml: opensearch.timeout: ...``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

ENV_PREFIX = "SHOPSEARCH_"
DEFAULT_URL = "http://127.0.0.1:9200"


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names where it came from and the key."""


class OpenSearchSettings(BaseModel):
    """How to reach OpenSearch: the local engine by default, or a shop's own cluster."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[list[HttpUrl], NoDecode] = Field(
        default_factory=lambda: [HttpUrl(DEFAULT_URL)],
        description="One or more node URLs; a comma-separated list in the environment.",
    )
    username: str | None = None
    password: str | None = None
    verify_certs: bool = True
    ca_certs: Path | None = None
    timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=3, ge=0)

    @field_validator("url", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("ca_certs")
    @classmethod
    def _ca_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"CA bundle {value} does not exist")
        return value

    @property
    def is_default(self) -> bool:
        """True when no URL was configured, so the local engine is meant."""
        return [str(u) for u in self.url] == [str(HttpUrl(DEFAULT_URL))]


class Settings(BaseSettings):
    """All of shopsearch's settings. Later sections (model, index, api) join this class."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
    )

    opensearch: OpenSearchSettings = Field(default_factory=OpenSearchSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: tuple[PydanticBaseSettingsSource, ...] = (init_settings, env_settings)
        if settings_cls.model_config.get("yaml_file"):
            sources += (YamlConfigSettingsSource(settings_cls),)
        return sources


def load_settings(config_file: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Load and validate settings; raise ConfigError naming the file or env variable and the key."""
    raw = config_file if config_file is not None else os.environ.get(f"{ENV_PREFIX}CONFIG")
    path = Path(raw) if raw else None
    settings_cls = Settings
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        config = {**Settings.model_config, "yaml_file": path}
        settings_cls = type("FileSettings", (Settings,), {"model_config": config})
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


def _describe(exc: ValidationError, path: Path | None) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"])
        env_name = ENV_PREFIX + "_".join(str(p) for p in err["loc"][:2]).upper()
        where = f"{env_name}" if env_name in os.environ else (str(path) if path else "defaults")
        lines.append(f"{where}: {key}: {err['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)
