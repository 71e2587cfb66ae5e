"""Real responses of the API against its response models (search_api/schemas.py, shopsearch/hits.py), which
forbid undeclared keys: the models that document /openapi.json are the shapes the API really sends."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from shopsearch.hits import Product
from shopsearch.search_api.ops import Health
from shopsearch.search_api.schemas import (
    EventsAccepted,
    Forgotten,
    Rail,
    SearchResponse,
    ShopperVector,
    Suggestions,
    Users,
    VectorSet,
)

pytestmark = pytest.mark.engine


def _valid(
    model: type[BaseModel], http: Any, path: str, method: str = "GET", body: object = None, **params: object
) -> dict[str, Any]:
    """The response's JSON, checked against the model both ways: it validates, and nothing is lost doing so."""
    response = http.open(path, method=method, json=body, query_string=params)
    assert response.status_code == 200, response.get_json()
    found: dict[str, Any] = response.get_json()
    parsed = model.model_validate(found)
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == found
    return found


@pytest.mark.parametrize(
    "params",
    [
        {"q": "kitchen knife", "explain": "true", "size": 8},  # blended, with each signal's part
        {"q": "running shoes", "brand": "Nike"},  # filtered
        {"category": "Sports > Running", "explain": "true"},  # browse: scored by the engine
        {"q": "knife", "sort": "price_asc", "size": 2, "page": 2},  # a field sort: no score
        {"q": "qzxv wvvq"},  # nothing found
    ],
)
def test_search_responses_are_the_search_model(shop, params: dict[str, object]) -> None:
    result = _valid(SearchResponse, shop["http"], "/search", **params)
    assert result["hits"] or result["total"] == 0


def test_a_product_page_is_the_product_model(shop) -> None:
    product = _valid(Product, shop["http"], "/products/K0")
    assert product["id"] == "K0" and product["title"] == "Shun chef knife 8 inch"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/recommend/similar/K0", {"size": 4}),
        ("/recommend/bought-together/C0", {"size": 3}),
        ("/recommend/for-you", {"user_id": "nobody-yet", "size": 3}),  # no shopper vector: popular
        ("/recommend/for-you", {"user_id": "nobody-yet", "category": "Home > Kitchen", "size": 3}),
    ],
)
def test_rails_are_the_rail_model(shop, path: str, params: dict[str, object]) -> None:
    assert _valid(Rail, shop["http"], path, **params)["items"]


def test_suggestions_are_the_suggestions_model(shop) -> None:
    assert _valid(Suggestions, shop["http"], "/suggest", q="kni")["products"]


def test_shopper_endpoints_are_their_models(shop) -> None:
    http = shop["http"]
    events = [
        {"user_id": "schema-fan", "type": "click", "product_id": "K0", "session_id": "s1"},
        {"user_id": "schema-fan", "type": "view", "product_id": "NOPE", "session_id": "s1"},
    ]
    accepted = _valid(EventsAccepted, http, "/events", "POST", events)
    assert accepted["accepted"] == 1 and accepted["rejected"][0]["index"] == 1
    assert _valid(VectorSet, http, "/users/schema-fan/vector", "PUT", {"items": ["K0", "K2"]})["has_vector"]
    ShopperVector.model_validate(http.get("/users/schema-fan/vector").get_json())  # more fields may follow
    assert 0 < len(_valid(Users, http, "/users")["users"]) <= 12  # the first 12 ids that have a vector
    assert _valid(Forgotten, http, "/users/schema-fan", "DELETE")["verified_gone"]
    assert _valid(Health, http, "/health")["checks"]
