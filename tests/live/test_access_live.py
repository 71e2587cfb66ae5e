"""Access control, hostile input and honest status codes on the live app (the conftest shop, a real node)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shopsearch import keys
from shopsearch.access import tokens
from shopsearch.config import AuthSettings
from shopsearch.events.model import Event
from shopsearch.indexer.service import Indexer
from shopsearch.search_api.app import create_app
from tests.conftest import SHOP

pytestmark = pytest.mark.engine
SECRET = "shopper-secret-for-the-tests-0123456789"
ROLES = ("search", "events", "admin")


@pytest.fixture(scope="module")
def guarded(shop, minilm_encoder) -> dict:
    """The shop's API with one key per role and shopper tokens switched on."""
    plain = {role: keys.new_key() for role in ROLES}
    auth = AuthSettings(
        keys=[{"name": role, "role": role, "sha256": keys.digest(key)} for role, key in plain.items()],
        shopper_secret=SECRET,
    )
    app = create_app(
        shop["settings"].model_copy(update={"auth": auth}),
        client=shop["app"].extensions["shopsearch"].client,
        encoder=minilm_encoder,
    )
    return {"http": app.test_client(), "keys": plain, "app": app}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def status(guarded, method: str, path: str, credential: str | None = None, **kwargs) -> int:
    headers = bearer(credential) if credential else {}
    return guarded["http"].open(path, method=method, headers=headers, **kwargs).status_code


def event(user_id: str, **extra) -> dict:
    return {"user_id": user_id, "type": "view", "product_id": "K0", **extra}


CALLS = [  # (method, path, body, the least role that may)
    ("GET", "/search?q=knife", None, "search"),
    ("GET", "/suggest?q=kni", None, "search"),
    ("GET", "/products/K0", None, "search"),
    ("GET", "/recommend/similar/K0", None, "search"),
    ("GET", "/recommend/bought-together/K0", None, "search"),
    ("GET", "/search?q=knife&user_id=u-any", None, "events"),
    ("GET", "/recommend/for-you?user_id=u-any", None, "events"),
    ("POST", "/events", event("u-any"), "events"),
    ("GET", "/users", None, "admin"),
    ("PUT", "/users/u-any/profile", {"items": ["K0"]}, "admin"),
    ("GET", "/users/u-any/profile", None, "admin"),
    ("PUT", "/users/u-any/vector", {"items": ["K0"]}, "admin"),
    ("GET", "/users/u-any/vector", None, "admin"),
    ("GET", "/metrics", None, "admin"),
    ("DELETE", "/users/u-gone", None, "admin"),
    ("GET", "/search?q=knife&rules=false", None, "admin"),
    ("GET", "/admin/analytics", None, "admin"),
]


@pytest.mark.parametrize(("method", "path", "body", "least"), CALLS)
def test_each_role_is_allowed_exactly_where_it_should_be(guarded, method: str, path: str, body, least: str) -> None:
    assert status(guarded, method, path, json=body) == 401
    assert status(guarded, method, path, "sk_not-a-key", json=body) == 401
    for role, key in guarded["keys"].items():
        expected = 403 if ROLES.index(role) < ROLES.index(least) else (200, 404)
        assert status(guarded, method, path, key, json=body) in (
            expected if isinstance(expected, tuple) else (expected,)
        ), role


def test_public_endpoints_need_no_credentials(guarded) -> None:
    for path in ("/health", "/openapi.json", "/", "/docs/"):
        assert status(guarded, "GET", path) in (200, 302, 308), path


def test_a_shopper_token_acts_for_its_own_user_only(guarded) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", "bob"
    token = tokens.sign(SECRET, alice, 300)
    assert status(guarded, "GET", "/search?q=knife", token) == 200
    assert status(guarded, "GET", f"/search?q=knife&user_id={alice}", token) == 200
    assert status(guarded, "GET", f"/search?q=knife&user_id={bob}", token) == 403
    assert status(guarded, "GET", f"/recommend/for-you?user_id={alice}", token) == 200
    assert status(guarded, "GET", f"/recommend/for-you?user_id={bob}", token) == 403
    assert status(guarded, "POST", "/events", token, json=event(alice)) == 200
    assert status(guarded, "POST", "/events", token, json=[event(alice), event(bob)]) == 403
    assert status(guarded, "POST", "/events", token, json=event(f" {alice} ")) == 200  # stored stripped: still alice
    assert status(guarded, "GET", f"/users/{alice}/profile", token) == 403
    assert status(guarded, "GET", "/users", token) == 403


def test_expired_and_tampered_tokens_are_refused_and_counted(guarded) -> None:
    expired = tokens.sign(SECRET, "alice", 60, now=1_000)
    forged = tokens.sign("another-secret-of-at-least-32-chars!!", "alice", 300)
    valid = tokens.sign(SECRET, "alice", 300)
    tampered = valid[:-1] + ("1" if valid[-1] == "0" else "0")  # a different last character, always
    for token in (expired, forged, tampered):
        response = guarded["http"].get("/search?q=knife&user_id=alice", headers=bearer(token))
        assert response.status_code == 401 and "shopper token refused" in response.get_json()["error"]
    metrics = guarded["http"].get("/metrics", headers=bearer(guarded["keys"]["admin"])).get_data(as_text=True)
    assert 'shopsearch_refused_total{status="401"}' in metrics


def test_openapi_documents_the_security_schemes_and_refusals(guarded) -> None:
    doc = guarded["http"].get("/openapi.json").get_json()
    assert set(doc["components"]["securitySchemes"]) == {"apiKey", "shopperToken"}
    search = doc["paths"]["/search"]["get"]
    assert {"401", "403"} <= set(search["responses"]) and search["security"]
    assert "security" not in doc["paths"]["/health"]["get"]


def test_oversized_and_deeply_nested_bodies_are_4xx(shop) -> None:
    http = shop["http"]
    big = http.post("/events", data=b"[" + b" " * (2 * 1024 * 1024) + b"]", content_type="application/json")
    assert big.status_code == 413 and big.get_json()["error"]
    deep = "[" * 100_000 + "]" * 100_000
    for method, path in (("POST", "/events"), ("PUT", "/users/u1/profile")):
        response = http.open(path, method=method, data=deep, content_type="application/json")
        assert response.status_code == 400, (path, response.get_json())


def test_ids_are_limited_in_bytes_like_opensearch(shop) -> None:
    response = shop["http"].put("/users/" + "😀" * 200 + "/profile", json={"items": ["K0"]})
    assert response.status_code == 400 and response.get_json()["parameter"] == "user_id"
    assert "512 bytes" in response.get_json()["error"]
    posted = shop["http"].post("/events", json=event("😀" * 129)).get_json()
    assert posted["accepted"] == 0 and posted["rejected"][0]["field"] == "user_id"


@pytest.mark.parametrize(
    "q",
    [
        " ".join(f"w{i}" for i in range(600)),
        "".join(chr(0x4E00 + 7 * i) for i in range(200)),
        " ".join(f"word{i}" for i in range(40)),
    ],
)
def test_queries_past_the_clause_limit_are_a_400_naming_q(shop, q: str) -> None:
    response = shop["http"].get("/search", query_string={"q": q})
    assert response.status_code == 400 and response.get_json()["parameter"] == "q"


def test_the_longest_allowed_queries_are_answered(shop) -> None:
    for q in ("".join(chr(0x4E00 + 7 * i) for i in range(32)), " ".join(f"word{i}" for i in range(32))):
        assert shop["http"].get("/search", query_string={"q": q}).status_code == 200


def test_products_show_their_public_fields_only(shop) -> None:
    product = shop["http"].get("/products/K0").get_json()
    assert product["title"] == "Shun chef knife 8 inch"
    assert not {"attrs", "stock", "category_levels", "embedding"} & set(product)


def test_every_endpoint_is_a_503_when_the_alias_is_gone(shop, minilm_encoder) -> None:
    gone = shop["settings"].model_copy(
        update={"index": shop["settings"].index.model_copy(update={"alias": f"test-gone-{uuid.uuid4().hex[:8]}"})}
    )
    http = create_app(gone, client=shop["app"].extensions["shopsearch"].client, encoder=minilm_encoder).test_client()
    calls = [
        ("GET", "/search?q=knife"),
        ("GET", "/search?q=knife&sort=price_asc"),
        ("GET", "/search"),
        ("GET", "/suggest?q=kni"),
        ("GET", "/products/K0"),
        ("GET", "/recommend/similar/K0"),
        ("GET", "/recommend/bought-together/K0"),
        ("GET", "/recommend/for-you?user_id=u1"),
        ("POST", "/events"),
        ("PUT", "/users/u1/profile"),
        ("GET", "/health"),
    ]
    for method, path in calls:
        body = event("u1") if path == "/events" else {"items": ["K0"]} if "profile" in path else None
        response = http.open(path, method=method, json=body)
        assert response.status_code == 503, (path, response.status_code, response.get_json())


def test_a_retried_event_batch_is_stored_once(shop) -> None:
    who = f"user-{uuid.uuid4().hex[:8]}"
    batch = [event(who, event_id=f"{who}-{n}", product_id=p) for n, p in enumerate(("K0", "K1", "C0"))]
    first = shop["http"].post("/events", json=batch).get_json()
    again = shop["http"].post("/events", json=batch).get_json()
    assert first["accepted"] == 3 and first["duplicates"] == []
    assert again["accepted"] == 3 and again["duplicates"] == [0, 1, 2]
    services = shop["app"].extensions["shopsearch"]
    assert services.events.store.count(who) == 3
    assert sum(services.users.get(who)["event_counts"].values()) == 3
    # A try that stored its events and died before the profile saw them: the retry folds them in, once.
    late = f"user-{uuid.uuid4().hex[:8]}"
    died = [event(late, event_id=f"{late}-{n}", product_id=p) for n, p in enumerate(("K0", "C0"))]
    assert services.events.store.append([Event.model_validate(e).stamped(datetime.now(UTC)) for e in died]) == [
        None,
        None,
    ]
    retried = shop["http"].post("/events", json=died).get_json()
    assert retried["duplicates"] == [0, 1] and services.users.get(late)["event_counts"] == {"view": 2}
    shop["http"].post("/events", json=died)
    assert services.users.get(late)["event_counts"] == {"view": 2}
    stranger = shop["http"].post("/events", json=[event(f"other-{who}", event_id=f"{who}-0")]).get_json()
    assert stranger["accepted"] == 1 and stranger["duplicates"] == []  # ids are per user: no collision, no probe


def _another_tiny_bert(tiny_bert_dir: Path, out: Path) -> Path:
    """The tiny BERT with other weights (same 32 dimensions): another vector space."""
    import shutil

    import torch
    from transformers import BertModel

    shutil.copytree(tiny_bert_dir, out)
    model = BertModel.from_pretrained(tiny_bert_dir)
    with torch.no_grad():
        model.pooler.dense.bias.add_(0.5)
        model.embeddings.word_embeddings.weight.mul_(1.5)
    model.save_pretrained(out)
    return out


def test_the_api_follows_a_reindex_with_another_model(shop, tiny_encoder, tiny_bert_dir, tmp_path: Path) -> None:
    from shopsearch.encoder import Encoder

    other = Encoder(_another_tiny_bert(tiny_bert_dir, tmp_path / "other-bert"), max_length=64)
    assert other.model_id != tiny_encoder.model_id and other.dimension == tiny_encoder.dimension
    settings = shop["settings"].model_copy(
        update={
            "index": shop["settings"].index.model_copy(
                update={"alias": f"test-switch-{uuid.uuid4().hex[:8]}", "vector_cache": tmp_path / "v.sqlite"}
            ),
            "api": shop["settings"].api.model_copy(update={"model_check_s": 0, "users_index": "test-switch-users"}),
        }
    )
    client = shop["app"].extensions["shopsearch"].client
    catalog = tmp_path / "shop.jsonl"
    catalog.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in SHOP), encoding="utf-8")
    Indexer(settings, client=client, encoder=tiny_encoder).reindex(catalog)
    http = create_app(settings, client=client, encoder=tiny_encoder).test_client()
    try:
        assert http.get("/search?q=knife&explain=true").get_json()["model"] == tiny_encoder.model_id
        Indexer(settings, client=client, encoder=other).reindex(catalog)
        switched = http.get("/search?q=knife&explain=true")
        assert switched.status_code == 200 and switched.get_json()["model"] == other.model_id
        assert http.get("/health").get_json()["checks"]["model"] == f"loaded {other.model_id}"
    finally:
        client.indices.delete(index=f"{settings.index.alias}-*", ignore_unavailable=True)


def test_a_reindex_with_a_model_of_another_size_is_a_503_that_says_why(
    shop, minilm_encoder, tiny_encoder, tmp_path: Path
) -> None:
    settings = shop["settings"].model_copy(
        update={
            "index": shop["settings"].index.model_copy(
                update={"alias": f"test-size-{uuid.uuid4().hex[:8]}", "vector_cache": tmp_path / "v.sqlite"}
            ),
            "api": shop["settings"].api.model_copy(update={"model_check_s": 0}),
        }
    )
    client = shop["app"].extensions["shopsearch"].client
    catalog = tmp_path / "shop.jsonl"
    catalog.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in SHOP[:5]), encoding="utf-8")
    Indexer(settings, client=client, encoder=minilm_encoder).reindex(catalog)
    http = create_app(settings, client=client, encoder=minilm_encoder).test_client()
    try:
        Indexer(settings, client=client, encoder=tiny_encoder).reindex(catalog)
        for path in ("/search?q=knife", "/health"):
            response = http.get(path)
            assert response.status_code == 503, path
        assert "32 dimensions, not 384" in http.get("/health").get_json()["checks"]["model"]
    finally:
        client.indices.delete(index=f"{settings.index.alias}-*", ignore_unavailable=True)


def test_the_shop_page_carries_its_search_only_key(shop, minilm_encoder) -> None:
    key = keys.new_key()
    auth = AuthSettings(keys=[{"name": "page", "role": "search", "sha256": keys.digest(key)}], page_key=key)
    http = create_app(
        shop["settings"].model_copy(update={"auth": auth}),
        client=shop["app"].extensions["shopsearch"].client,
        encoder=minilm_encoder,
    ).test_client()
    assert f'data-key="{key}"' in http.get("/").get_data(as_text=True)
    assert http.get("/search?q=knife", headers=bearer(key)).status_code == 200
    assert http.get("/users", headers=bearer(key)).status_code == 403


def test_a_silent_engine_gives_a_503_within_the_budget_not_a_stuck_worker(shop, minilm_encoder) -> None:
    import socket
    import time

    from shopsearch.config import load_settings

    with socket.socket() as silent:  # accepts connections (the kernel's backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        settings = shop["settings"].model_copy(
            update={
                "opensearch": load_settings(
                    opensearch={"url": f"http://127.0.0.1:{silent.getsockname()[1]}"}
                ).opensearch,
                "api": shop["settings"].api.model_copy(update={"search_timeout": 0.5}),
            }
        )
        http = create_app(settings, encoder=minilm_encoder).test_client()
        for path in ("/search?q=knife", "/health"):
            began = time.perf_counter()
            assert http.get(path).status_code == 503
            assert time.perf_counter() - began < 5, path  # the budget (0.5 s), not the client's default 30 s


def test_without_keys_only_loopback_hosts_are_answered(shop) -> None:
    """A page whose own name resolves to 127.0.0.1 (DNS rebinding) must not read shoppers' data."""
    assert shop["http"].get("/users", headers={"Host": "evil.example:8000"}).status_code == 403
    assert shop["http"].get("/users", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    assert shop["http"].get("/health", headers={"Host": "[::1]:8000"}).status_code == 200
