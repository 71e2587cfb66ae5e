"""The errors shopsearch expects and explains, in one light module (the CLI maps them to one-line messages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails


def error_key(err: ErrorDetails) -> str:
    """Where a validation error is, as every message here names a field: "items.0.id" ("" for the whole)."""
    return ".".join(str(part) for part in err["loc"])


def first_problem(exc: ValidationError, prefix: str = "") -> str:
    """ "KEY: message" of a validation error's first problem, the key under `prefix`."""
    err = exc.errors()[0]
    return f"{prefix}{error_key(err)}: {err['msg']}"


class ShopsearchError(Exception):
    """Base of every expected error: the message alone tells the user what is wrong."""


class ConfigError(ShopsearchError, ValueError):
    """A setting is missing or wrong; the message names where it came from and the key."""


class EngineError(ShopsearchError, RuntimeError):
    """The local engine cannot be set up, started or stopped; the message says why."""


class EncoderError(ShopsearchError, ValueError):
    """The model directory is missing or is not a usable BERT-family model."""


class CatalogError(ShopsearchError, ValueError):
    """The catalog as a whole cannot be read (missing file, unknown format)."""


class MappingError(ShopsearchError, ValueError):
    """A mapping file is invalid; the message names the file and the key."""


class ReindexError(ShopsearchError, RuntimeError):
    """A reindex or write failed its checks; the alias still serves the previous index."""


class LifecycleError(ShopsearchError, RuntimeError):
    """An alias operation is impossible (nothing to roll back to, alias missing...)."""


class SearchUnavailable(ShopsearchError, RuntimeError):
    """OpenSearch cannot serve the request (down, timing out, alias missing): the API answers 503."""


class VectorSpaceMismatch(SearchUnavailable):
    """The index holds vectors of another model than the one encoding the queries: cosines would be noise."""


class UnknownItems(ShopsearchError, ValueError):
    """Product ids that are not in the catalog; ``ids`` lists them."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        super().__init__(f"unknown product id(s): {', '.join(ids)}")
