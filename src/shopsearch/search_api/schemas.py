"""Response and body models: they document the API in /openapi.json (the request model is SearchRequest)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shopsearch.ids import DocId


class Named(BaseModel):
    id: str
    title: str | None = None
    brand: str | None = None
    category: str | None = None


class Listed(Named):
    price: float | None = None
    sales: int | None = None


class Variant(BaseModel):
    id: DocId
    title: str | None = None
    price: float | None = None
    in_stock: bool | None = None


class Hit(Listed):
    in_stock: bool | None = None
    score: float | None = Field(default=None, description="The blended score (None for field sorts).")
    explain: dict[str, float] | None = Field(
        default=None, description="Each signal's weighted contribution; they add up to score."
    )
    rules: list[str] | None = Field(default=None, description="With explain: what query rules did to this hit.")
    variants: list[Variant] | None = Field(default=None, description="The product family's other variants (group_id).")
    arm: str | None = Field(default=None, description="Under an experiment: the arm (a or b) that placed this hit.")


class Product(Listed):
    """A product's public fields: what GET /products/<id> shows a shopper."""

    description: str | None = None
    tags: list[str] | None = None
    rating: float | None = None
    in_stock: bool | None = None
    created_at: str | None = None


PUBLIC_FIELDS = [name for name in Product.model_fields if name != "id"]


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


class ProfileBody(BaseModel):
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


class RailItem(Listed):
    score: float
    reason: str = Field(description="Why it is here: similar, bought with ..., popular, for you.")


class Rail(BaseModel):
    items: list[RailItem]


class Suggestion(Named):
    pass


class Suggestions(BaseModel):
    query: str
    products: list[Suggestion]
    brands: list[str]
    categories: list[str]


class Rejected(BaseModel):
    index: int
    field: str
    reason: str


class EventsAccepted(BaseModel):
    accepted: int = Field(description="Stored now or by an earlier try (duplicates).")
    accepted_indices: list[int]
    duplicates: list[int] = Field(description="Events whose event_id was already stored: counted once.")
    rejected: list[Rejected]
    profiles_updated: bool


class ProfileSet(BaseModel):
    user_id: str
    items: int
    has_vector: bool


class StoredProfile(BaseModel):
    """The stored profile without its vector (more fields may follow)."""

    event_counts: dict[str, int] | None = None
    purchased: list[str] | None = None


class Users(BaseModel):
    users: list[str]


class Forgotten(BaseModel):
    user_id: str
    deleted_events: int
    profile_deleted: bool
    verified_gone: bool


ERRORS = {400: Error, 503: Error}  # every endpoint that takes input and reads the engine


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
