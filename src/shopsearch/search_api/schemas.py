"""Response and body models: they document the API in /openapi.json (the request model is SearchRequest)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Hit(BaseModel):
    id: str
    title: str | None = None
    brand: str | None = None
    category: str | None = None
    price: float | None = None
    sales: int | None = None
    in_stock: bool | None = None
    score: float | None = Field(default=None, description="The blended score (None for field sorts).")
    explain: dict[str, float] | None = Field(
        default=None, description="Each signal's weighted contribution; they add up to score.")


class FacetValue(BaseModel):
    value: str
    count: int


class PriceBucket(BaseModel):
    from_: float | None = Field(default=None, alias="from")
    to: float | None = None
    count: int


class Facets(BaseModel):
    brand: list[FacetValue]
    category: list[FacetValue]
    price: list[PriceBucket]


class SearchResponse(BaseModel):
    query: str
    profile: str
    personalized: bool
    total: int
    page: int
    size: int
    hits: list[Hit]
    facets: Facets


class WeightedItem(BaseModel):
    id: str = Field(min_length=1, max_length=512)
    weight: float = Field(default=1.0, gt=0)


class ProfileBody(BaseModel):
    items: list[str | WeightedItem] = Field(min_length=1, max_length=1000,
                                            description="Product ids, optionally weighted.")

    def weights(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for item in self.items:
            key, weight = (item, 1.0) if isinstance(item, str) else (item.id, item.weight)
            out[key] = out.get(key, 0.0) + weight
        return out


class UserPath(BaseModel):
    user_id: str = Field(min_length=1, max_length=256)


class ProductPath(BaseModel):
    product_id: str = Field(min_length=1, max_length=512)


class Error(BaseModel):
    error: str
    parameter: str | None = None
