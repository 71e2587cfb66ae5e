"""Response and body models: they document the API in /openapi.json (the request model is SearchRequest;
the shapes of a product, a hit and a rail item live with the functions that build them, in shopsearch.hits).
The response models forbid keys they do not declare: tests/live/test_schemas_live.py checks real responses."""

from __future__ import annotations

from flask_openapi3.types import ResponseDict
from pydantic import BaseModel, Field

from shopsearch.hits import Hit, RailItem, Shown, Suggestion
from shopsearch.ids import DocId


class FacetValue(Shown):
    value: str
    count: int


class PriceBucket(Shown):
    from_: float | None = Field(default=None, alias="from")
    to: float | None = None
    count: int


class Facets(Shown):
    brand: list[FacetValue]
    category: list[FacetValue]
    price: list[PriceBucket]


class SearchResponse(Shown):
    query: str
    profile: str
    personalized: bool
    total: int
    page: int
    size: int
    hits: list[Hit]
    facets: Facets
    model: str | None = Field(default=None, description="With explain: the model that encoded the query.")
    rules: list[str] | None = Field(default=None, description="The ids of the query rules that fired.")
    redirect: str | None = Field(default=None, description="Where a fired rule sends the shopper instead.")
    experiment: str | None = Field(default=None, description="The experiment this search was interleaved for.")
    popular: list[str] | None = Field(
        default=None,
        description="Nothing found and no spelling to suggest: the queries most searched lately that found something.",
    )
    suggestion: str | None = Field(
        default=None,
        description="When no product has the query's words: the query"
        " with its words corrected, if the titles suggest one.",
    )
    corrected_to: str | None = Field(
        default=None, description="Nothing matched the query, so these hits are the search for the suggested spelling."
    )


class WeightedItem(BaseModel):
    id: DocId
    weight: float = Field(default=1.0, gt=0)


class VectorBody(BaseModel):
    items: list[DocId | WeightedItem] = Field(
        min_length=1, max_length=1000, description="Product ids, optionally weighted."
    )

    def weights(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for item in self.items:
            key, weight = (item, 1.0) if isinstance(item, str) else (item.id, item.weight)
            out[key] = out.get(key, 0.0) + weight
        return out


class UserPath(BaseModel):
    user_id: DocId


class ProductPath(BaseModel):
    product_id: DocId


class Error(BaseModel):
    error: str
    parameter: str | None = None


class Rail(Shown):
    items: list[RailItem]


class Suggestions(Shown):
    query: str
    products: list[Suggestion]
    brands: list[str]
    categories: list[str]


class Rejected(Shown):
    index: int
    field: str
    reason: str


class EventsAccepted(Shown):
    accepted: int = Field(description="Stored now or by an earlier try (duplicates).")
    accepted_indices: list[int]
    duplicates: list[int] = Field(description="Events whose event_id was already stored: counted once.")
    rejected: list[Rejected]
    profiles_updated: bool


class VectorSet(Shown):
    user_id: str
    items: int
    has_vector: bool


class ShopperVector(BaseModel):
    """What the stored shopper vector was built from, without the vector itself (more fields may follow)."""

    event_counts: dict[str, int] | None = None
    purchased: list[str] | None = None


class Users(Shown):
    users: list[str]


class Forgotten(Shown):
    user_id: str
    deleted_events: int
    profile_deleted: bool
    verified_gone: bool


ERRORS: ResponseDict = {400: Error, 503: Error}  # every endpoint that takes input and reads the engine


class QueryRow(BaseModel):
    query: str
    searches: int
    clicks: int | None = None
    clicks_per_search: float | None = None
    carts: int | None = None
    carts_per_search: float | None = None


class PositionRow(BaseModel):
    position: int = Field(description="1 is the first result.")
    impressions: int
    clicks: int
    ctr: float
    carts: int
    cart_rate: float


class AnalyticsReport(BaseModel):
    since: str
    searches: int
    top_queries: list[QueryRow]
    zero_results: list[QueryRow]
    no_clicks: list[QueryRow]
    by_position: list[PositionRow]
