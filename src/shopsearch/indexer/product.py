"""One catalog row, validated: the Product model and its OpenSearch document."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shopsearch.errors import error_key
from shopsearch.ids import DocId

CATEGORY_SEPARATOR = " > "
_LIST_SPLIT = re.compile(r"\s*[|,]\s*")
_CATEGORY_SPLIT = re.compile(r"\s*[>＞/]\s*")
KNOWN_FIELDS = frozenset(
    {"id", "title", "description", "category", "brand", "tags", "price", "sales", "stock", "rating", "created_at"}
)


class RowError(ValueError):
    """A catalog row that cannot become a product; ``fields`` maps each bad field to its reason."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in fields.items()))


def _blank_to_none(value: Any) -> Any:
    """CSV cells and sloppy JSON give '' or whitespace for 'no value'."""
    return None if isinstance(value, str) and not value.strip() else value


class Product(BaseModel):
    """A product as shopsearch stores it. Unknown columns are kept in ``attributes``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: DocId
    title: str = Field(min_length=1, max_length=2000)
    description: str | None = None
    category: list[str] = Field(default_factory=list)
    brand: str | None = None
    tags: list[str] = Field(default_factory=list)
    price: float | None = Field(default=None, ge=0)
    sales: int = Field(default=0, ge=0)
    stock: int | None = Field(default=None, ge=0)
    rating: float | None = Field(default=None, ge=0, le=5)
    created_at: datetime | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _prepare(cls, row: Any) -> Any:
        if not isinstance(row, dict):
            raise ValueError(f"a row must be an object, got {type(row).__name__}")
        cleaned = {key: _blank_to_none(value) for key, value in row.items()}
        known = {k: v for k, v in cleaned.items() if k in KNOWN_FIELDS and v is not None}
        extras = {k: v for k, v in cleaned.items() if k not in KNOWN_FIELDS and k != "attributes" and v is not None}
        known["attributes"] = {**(cleaned.get("attributes") or {}), **extras}
        return known

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        if isinstance(value, bool | float):
            raise ValueError("must be a string or an integer")
        return str(value) if isinstance(value, int) else value

    @field_validator("category", mode="before")
    @classmethod
    def _category_levels(cls, value: Any) -> Any:
        parts = _CATEGORY_SPLIT.split(value) if isinstance(value, str) else value
        return [part.strip() for part in parts if str(part).strip()] if isinstance(parts, list) else parts

    @field_validator("tags", mode="before")
    @classmethod
    def _tag_list(cls, value: Any) -> Any:
        parts = _LIST_SPLIT.split(value) if isinstance(value, str) else value
        return [str(part).strip() for part in parts if str(part).strip()] if isinstance(parts, list) else parts

    @field_validator("sales", "stock", mode="before")
    @classmethod
    def _whole_numbers(cls, value: Any) -> Any:
        """Accept '12' and 12.0 (CSV, Parquet floats) but not 12.5."""
        if isinstance(value, str):
            value = value.strip()
            return float(value) if re.fullmatch(r"-?\d+(\.0+)?", value) else value
        return value

    @property
    def category_path(self) -> str:
        return CATEGORY_SEPARATOR.join(self.category)

    def document(self) -> dict[str, Any]:
        """The OpenSearch source (without the vector, which the indexer adds)."""
        doc = self.model_dump(exclude={"category", "attributes"}, exclude_none=True, mode="json")
        if self.category:
            doc["category"] = self.category_path
            doc["category_levels"] = [
                CATEGORY_SEPARATOR.join(self.category[: depth + 1]) for depth in range(len(self.category))
            ]
        doc["in_stock"] = self.stock is None or self.stock > 0
        if self.attributes:
            doc["attrs"] = self.attributes
        return doc


def parse_product(row: dict[str, Any]) -> Product:
    """Validate one raw row; raise RowError naming each bad field."""
    try:
        return Product.model_validate(row)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors():
            name = error_key(err) or "row"
            fields.setdefault(name, err["msg"])
        raise RowError(fields) from None
