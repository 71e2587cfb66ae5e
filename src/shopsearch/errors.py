"""The errors shopsearch expects and explains, in one light module (the CLI maps them to one-line messages)."""


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
