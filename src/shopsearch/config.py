"""Typed settings, validated at load: defaults < YAML file < SHOPSEARCH_* environment < arguments.

The file is named by ``--config`` or ``SHOPSEARCH_CONFIG``. Every error names the file (or the
environment variable) and the key, e.g. ``shopsearch.yaml: opensearch.timeout: ...``.

Mapping files (index mappings, synonyms, relevance profiles, query rules) ship inside the package,
in ``shopsearch/mappings/`` (``MAPPINGS_DIR``). A setting that names one of them
(``index.mapping``, ``index.synonyms``, ``api.profiles_dir``, ``api.rules_dir``,
``api.users_mapping``, ``api.events_template``, ``api.searches_template``, ``api.recs_mapping``)
resolves by this rule, when the settings are loaded:

1. the path the user gave (file, environment or argument), as given;
2. else ``./mappings/<name>`` in the current working directory, when that file or folder exists
   (each entry on its own: a ``./mappings/`` holding only ``products.json`` overrides only the
   index mapping; a ``./mappings/profiles/`` replaces the whole profiles folder);
3. else the packaged default, ``MAPPINGS_DIR / <name>``.

Machine-wide directories (``cache_root``, ``engine_data_dir``) come from the environment only,
through ``MachineDirs``; no other module reads ``os.environ`` for a setting.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from shopsearch.errors import ConfigError, error_key
from shopsearch.keys import Role, digest

ENV_PREFIX = "SHOPSEARCH_"
DEFAULT_URL = "http://127.0.0.1:9200"
# The packaged default mapping files (package data: installed with shopsearch, editable or not).
MAPPINGS_DIR = Path(__file__).resolve().parent / "mappings"
LOCAL_MAPPINGS = "mappings"  # a folder of this name in the working directory overrides, entry by entry


def default_mapping(name: str) -> Path:
    """``./mappings/<name>`` (absolute) when it exists in the working directory, else the packaged default."""
    local = Path.cwd() / LOCAL_MAPPINGS / name
    return local.resolve() if local.exists() else MAPPINGS_DIR / name


def _mapping_field(name: str, description: str | None = None) -> Any:
    """A settings field whose default is resolved by ``default_mapping`` each time settings are loaded."""
    return Field(default_factory=partial(default_mapping, name), description=description)


class MachineDirs(BaseSettings):
    """Machine-wide directories, from the environment only (never the YAML file): they are shared by
    every checkout and config on the machine (``./run`` reads the same variables), and needed where no
    ``Settings`` is at hand (``engine.local.start``, the engine's jars). Read afresh on each call; an
    empty variable counts as unset."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    cache: Path | None = Field(default=None, validation_alias="SHOPSEARCH_CACHE")
    engine_data: Path | None = Field(default=None, validation_alias="SHOPSEARCH_ENGINE_DATA")
    xdg_cache_home: Path | None = Field(default=None, validation_alias="XDG_CACHE_HOME")
    xdg_data_home: Path | None = Field(default=None, validation_alias="XDG_DATA_HOME")


def cache_root() -> Path:
    """Where downloads and caches live: outside any clone, shared by every checkout on the machine.

    ``$SHOPSEARCH_CACHE``, else ``$XDG_CACHE_HOME/shopsearch`` (``~/.cache/shopsearch``); ``./run``
    uses the same rule for its environments."""
    dirs = MachineDirs()
    if dirs.cache is not None:
        return dirs.cache
    return (dirs.xdg_cache_home or Path.home() / ".cache") / "shopsearch"


def engine_data_dir() -> Path:
    """The local engine's node data: ``$SHOPSEARCH_ENGINE_DATA``, else ``$XDG_DATA_HOME/shopsearch/engine``
    (``~/.local/share/shopsearch/engine``)."""
    dirs = MachineDirs()
    if dirs.engine_data is not None:
        return dirs.engine_data
    return (dirs.xdg_data_home or Path.home() / ".local" / "share") / "shopsearch" / "engine"


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
    http_compress: bool = Field(default=False, description="gzip requests; worth it over a real network.")
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


class ModelSettings(BaseModel):
    """The BERT-family encoder, loaded from a local directory only."""

    model_config = ConfigDict(extra="forbid")

    path: Path | None = Field(
        default=None,
        description="HF model directory (runtime torch) or a directory written"
        " by `shopsearch model export` or `import` (runtime onnx); default: the packaged all-MiniLM-L6-v2.",
    )
    runtime: Literal["torch", "onnx"] = Field(default="torch", description="onnx: ONNX Runtime, no torch loaded.")
    max_length: int = Field(default=256, ge=8, le=8192)
    batch_size: int | None = Field(default=None, ge=1, le=4096, description="Default: 16 on CPU, 128 on GPU.")
    device: str = Field(default="auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$")
    quantize: bool = Field(
        default=False,
        description="Dynamic int8: torch quantises at load, onnx loads the"
        " exported int8 model (`model export --int8`).",
    )
    threads: int | None = Field(default=None, ge=1)
    query_prefix: str = ""
    document_prefix: str = ""

    @field_validator("path")
    @classmethod
    def _is_model_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not (value / "config.json").is_file():
            raise ValueError(f"{value} is not a model directory (no config.json)")
        return value

    @model_validator(mode="after")
    def _onnx_needs_an_export(self) -> ModelSettings:
        if self.runtime == "onnx" and (self.path is None or not (self.path / "onnx.json").is_file()):
            raise ValueError("runtime onnx: path must be a directory written by `shopsearch model export` or `import`")
        return self


class IndexSettings(BaseModel):
    """Where and how the catalog is written."""

    model_config = ConfigDict(extra="forbid")

    alias: str = Field(default="products", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    mapping: Path = _mapping_field("products.json")
    synonyms: Path = _mapping_field("synonyms.txt", "Search-time synonyms (Solr format).")
    text_fields: list[str] = Field(default=["title", "brand", "category", "description"], min_length=1)
    text_separator: str = ". "
    keep: int = Field(default=3, ge=1, description="Older indices kept for rollback.")
    replicas: int | None = Field(default=None, ge=0, description="Default: the mapping file's value.")
    bulk_docs: int = Field(default=500, ge=1)
    bulk_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    bulk_threads: int = Field(default=2, ge=1, le=16, description="Bulk requests in flight at once.")
    encode_batch: int = Field(default=256, ge=1, description="Products per encode-and-write step.")
    max_rejected_ratio: float = Field(default=0.2, ge=0, le=1, description="More rejects fail a reindex.")
    merge_segments: int | None = Field(
        default=1,
        ge=1,
        description="After the alias moves, the engine merges the new index down to this many segments in the"
        " background (a k-NN search walks every segment's graph); none leaves merging to Lucene alone.",
    )
    dead_letter_dir: Path = Path("rejected")
    vector_cache: Path = Field(default_factory=lambda: cache_root() / "vectors.sqlite")

    @field_validator("text_fields")
    @classmethod
    def _known_text_fields(cls, value: list[str]) -> list[str]:
        allowed = {"title", "brand", "category", "description", "tags"}
        unknown = [name for name in value if name not in allowed]
        if unknown:
            raise ValueError(f"unknown text field(s) {unknown}; choose from {sorted(allowed)}")
        return value


class ApiSettings(BaseModel):
    """The search API: relevance profiles, the users index, serving."""

    model_config = ConfigDict(extra="forbid")

    profiles_dir: Path = _mapping_field("profiles")
    rules_dir: Path = _mapping_field("rules", "Query rules (pin, hide, boost, bury, redirect).")
    default_profile: str = "default"
    users_index: str = Field(default="user-profiles", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    users_mapping: Path = _mapping_field("user_profiles.json")
    query_cache_size: int = Field(default=4096, ge=0)
    events_stream: str = Field(default="shopsearch-events", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    events_template: Path = _mapping_field("events.json")
    searches_stream: str = Field(
        default="shopsearch-searches",
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="The search log (one line per search served), for analytics.",
    )
    searches_template: Path = _mapping_field("searches.json")
    experiments_index: str = Field(default="shopsearch-experiments", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    cf_index: str = Field(default="shopsearch-bought-together", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    recs_alias: str = Field(default="shopsearch-recs", pattern=r"^[a-z0-9][a-z0-9_-]*$")
    recs_mapping: Path = _mapping_field("recs.json")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=2, ge=1)
    threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Requests each worker serves at once (gunicorn's gthread workers when above 1).",
    )
    # Torch threads per API worker for query encoding (model.threads, when set, wins). One: a query is
    # a few tokens, and each worker's threads spinning for cores that the other workers and the engine
    # need made the blended search collapse as soon as requests overlapped.
    encoder_threads: int = Field(default=1, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="Larger request bodies get a 413.")
    search_timeout: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Seconds a request may spend on"
        " OpenSearch before it gets a 503; gunicorn's worker timeout is set from it.",
    )
    model_check_s: float = Field(
        default=30.0,
        ge=0,
        description="How often the served index's model is checked against the loaded one (0: on every search).",
    )


class EventsSettings(BaseModel):
    """The click log: how long personal events are kept."""

    model_config = ConfigDict(extra="forbid")

    retention_days: int = Field(default=180, ge=1, description="`shopsearch events prune` deletes older events.")


class ApiKey(BaseModel):
    """One API key, stored as its SHA-256 digest (`shopsearch keys new` prints both)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    role: Role
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class AuthSettings(BaseModel):
    """Who may call the API. No keys: anonymous, allowed only on a loopback address."""

    model_config = ConfigDict(extra="forbid")

    keys: list[ApiKey] = Field(default=[], description="JSON list in SHOPSEARCH_AUTH_KEYS.")
    shopper_secret: SecretStr | None = Field(default=None, description="Signs shopper tokens (32+ characters).")
    token_ttl: int = Field(default=3600, ge=60, le=30 * 86400, description="Seconds a shopper token is valid.")
    page_key: SecretStr | None = Field(
        default=None,
        description="A search-role key the shop page sends; public by nature, like any search-only key in a web page.",
    )
    demo_shoppers: bool = Field(
        default=False,
        description="The page lists up to 12 shoppers, each with a token"
        " minted for it as a shop's back end would at sign-in: a demo, loopback only.",
    )

    @field_validator("shopper_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("use at least 32 random characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AuthSettings:
        if self.page_key is not None and self.roles().get(digest(self.page_key.get_secret_value())) != "search":
            raise ValueError("page_key: must be one of keys, with role search")
        if self.demo_shoppers and self.shopper_secret is None:
            raise ValueError("demo_shoppers: needs shopper_secret to mint the tokens")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def roles(self) -> dict[str, Role]:
        return {key.sha256: key.role for key in self.keys}


class Settings(BaseSettings):
    """All of shopsearch's settings, one section per area."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
    )

    opensearch: OpenSearchSettings = Field(default_factory=OpenSearchSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    events: EventsSettings = Field(default_factory=EventsSettings)

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
        settings_cls = cast(type[Settings], type("FileSettings", (Settings,), {"model_config": config}))
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path)) from None


def _describe(exc: ValidationError, path: Path | None) -> str:
    lines = []
    for err in exc.errors():
        key = error_key(err)
        env_name = ENV_PREFIX + "_".join(str(p) for p in err["loc"][:2]).upper()
        where = f"{env_name}" if env_name in os.environ else (str(path) if path else "defaults")
        lines.append(f"{where}: {key}: {err['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)
