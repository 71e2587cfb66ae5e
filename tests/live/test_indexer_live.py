"""The indexer against the live node: dead letters, vectors, zero-downtime reindex, rollback, upsert, delete."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from shopsearch.config import load_settings
from shopsearch.encoder import Encoder
from shopsearch.errors import ReindexError
from shopsearch.indexer import lifecycle
from shopsearch.indexer.catalog import RawRow, read_catalog
from shopsearch.indexer.service import Indexer

pytestmark = pytest.mark.engine

KINDS = ["chef knife", "rain jacket", "running shoes", "coffee cup", "yoga mat", "dog bed", "desk lamp", "tent"]


def products(count: int, tag: str = "v1") -> list[dict]:
    """A small deterministic catalog: `count` products over eight kinds."""
    return [
        {
            "id": f"P{i:03d}",
            "title": f"{KINDS[i % 8]} {tag} model {i}",
            "brand": ["Acme", "Zest"][i % 2],
            "category": "Home > Things",
            "price": 10 + i,
            "sales": i * 3,
            "stock": i % 5,
        }
        for i in range(count)
    ]


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


@pytest.fixture
def make_indexer(os_settings, client: OpenSearch, tiny_encoder: Encoder, tmp_path: Path) -> Iterator[Callable]:
    """Indexers on a fresh alias each (tiny BERT unless told otherwise); their indices are deleted after."""
    aliases: list[str] = []

    def make(encoder: Encoder = tiny_encoder, **index: object) -> Indexer:
        alias = f"test-products-{uuid.uuid4().hex[:8]}"
        aliases.append(alias)
        settings = load_settings(
            opensearch=os_settings.model_dump(),
            model={"path": encoder.model_dir},
            index={
                "alias": alias,
                "vector_cache": tmp_path / "vectors.sqlite",
                "dead_letter_dir": tmp_path / "rejected",
                **index,
            },
        )
        return Indexer(settings, client=client, encoder=encoder)

    yield make
    for alias in aliases:
        client.indices.delete(index=f"{alias}-*", ignore_unavailable=True)


def search_ids(client: OpenSearch, alias: str, query: dict, size: int = 10) -> list[str]:
    return [h["_id"] for h in client.search(index=alias, body={"size": size, "query": query})["hits"]["hits"]]


def test_bad_rows_go_to_the_dead_letter_file_and_good_ones_are_indexed(make_indexer, client, tmp_path) -> None:
    rows = [
        *products(8),
        {"id": "P900", "title": "", "price": 3},
        {"id": "P901", "title": "lamp", "price": -1},
        "{broken json",
        {"id": "P902", "title": "mat", "sales": "many"},
        {**products(1)[0], "title": "dup last"},
    ]
    indexer = make_indexer(max_rejected_ratio=0.5)
    report = indexer.reindex(write_jsonl(tmp_path / "catalog.jsonl", rows))
    assert report.write.summary() | {"seconds": 0, "docs_per_s": 0} == {
        "read": 13,
        "accepted": 9,
        "rejected": 4,
        "duplicates": 1,
        "encoded": 9,
        "cached": 0,
        "written": 9,
        "seconds": 0,
        "docs_per_s": 0,
    }
    assert client.count(index=indexer.alias)["count"] == 8
    assert client.get(index=indexer.alias, id="P000")["_source"]["title"] == "dup last"  # last one wins
    dead = [json.loads(line) for line in report.dead_letter.read_text().splitlines()]
    assert [(d["row"], list(d.get("fields", {}))) for d in dead] == [
        (9, ["title"]),
        (10, ["price"]),
        (11, []),
        (12, ["sales"]),
    ]
    assert dead[1]["record"] == {"id": "P901", "title": "lamp", "price": -1}
    assert dead[2]["reason"].startswith("invalid JSON") and dead[2]["raw"] == "{broken json"


def test_concurrent_bulk_writers_keep_the_last_row_of_an_id(make_indexer, client, tmp_path) -> None:
    """Three writers, tiny batches: a product listed again many batches later still ends with its last row."""
    first, again = products(30), [{**p, "title": f"{p['title']} again"} for p in products(30)[::3]]
    indexer = make_indexer(bulk_threads=3, encode_batch=3, bulk_docs=2)
    report = indexer.reindex(write_jsonl(tmp_path / "catalog.jsonl", [*first, *again]))
    assert (report.write.written, report.write.duplicates) == (40, 10)
    titles = {
        h["_id"]: h["_source"]["title"]
        for h in client.search(index=indexer.alias, body={"size": 50, "query": {"match_all": {}}})["hits"]["hits"]
    }
    assert titles == {p["id"]: p["title"] for p in [*first, *again]}


def test_a_fresh_index_is_merged_down_in_the_background(make_indexer, client, tmp_path) -> None:
    """Three writers in tiny batches leave several segments; after the alias moves, the engine merges them."""
    catalog = write_jsonl(tmp_path / "catalog.jsonl", products(90))
    assert make_indexer(merge_segments=None).reindex(catalog).merging is None
    report = make_indexer(bulk_threads=3, encode_batch=3, bulk_docs=2).reindex(catalog)
    assert report.merging and client.tasks.get(task_id=report.merging, wait_for_completion=True)["completed"]
    client.indices.refresh(index=report.index)  # searches see the merged segment from the next refresh on
    primary = {s["segment"] for s in client.cat.segments(index=report.index, format="json") if s["prirep"] == "p"}
    assert len(primary) == 1


def test_a_paraphrase_finds_the_product_by_vector(make_indexer, client, minilm_encoder, tmp_path) -> None:
    catalog = [
        {"id": "knife", "title": "Stainless steel chef knife", "category": "Home > Kitchen > Knives"},
        {"id": "tent", "title": "Two-person waterproof camping tent", "category": "Sports > Outdoor"},
        {"id": "phone", "title": "20000mAh power bank with USB-C", "category": "Electronics > Phones"},
        {"id": "dress", "title": "Floral summer maxi dress", "category": "Clothing > Women"},
        {"id": "coffee", "title": "Burr coffee grinder", "category": "Home > Kitchen > Coffee"},
    ]
    indexer = make_indexer(encoder=minilm_encoder)
    indexer.reindex(write_jsonl(tmp_path / "catalog.jsonl", catalog))
    for query, expected in [
        ("sharp blade for cutting vegetables", "knife"),
        ("shelter to sleep outdoors", "tent"),
        ("portable battery to recharge my mobile", "phone"),
    ]:
        vector = minilm_encoder.encode_queries([query])[0]
        hits = search_ids(client, indexer.alias, {"knn": {"embedding": {"vector": vector.tolist(), "k": 3}}}, 1)
        assert hits == [expected], query


def test_reindex_moves_the_alias_while_a_reader_never_sees_a_gap(make_indexer, client, tmp_path) -> None:
    indexer = make_indexer()
    indexer.reindex(write_jsonl(tmp_path / "v1.jsonl", products(300, "v1")))
    first = lifecycle.alias_targets(client, indexer.alias)
    outcomes: list[object] = []
    stop = threading.Event()

    def reader() -> None:
        while True:
            done = stop.is_set()  # the last read starts after the reindex returned (one in flight may not)
            try:
                outcomes.append(client.count(index=indexer.alias)["count"])
            except Exception as exc:  # noqa: BLE001 - any error is what this test looks for
                outcomes.append(exc)
            if done:
                return

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        report = indexer.reindex(write_jsonl(tmp_path / "v2.jsonl", products(320, "v2")))
    finally:
        stop.set()
        thread.join()
    assert lifecycle.alias_targets(client, indexer.alias) == [report.index] != first
    assert report.replaced == first
    assert len(outcomes) > 10 and set(outcomes) <= {300, 320}, set(map(str, outcomes))
    assert outcomes[-1] == 320


def _failing_rows(path: Path, after: int) -> Iterator[RawRow]:
    for number, row in enumerate(read_catalog(path), start=1):
        if number > after:
            raise OSError("catalog share went away")
        yield row


@pytest.mark.parametrize("keep_failed", [False, True])
def test_a_reindex_failing_half_way_leaves_the_old_index_serving(make_indexer, client, tmp_path, keep_failed) -> None:
    indexer = make_indexer()
    indexer.reindex(write_jsonl(tmp_path / "v1.jsonl", products(50)))
    serving = lifecycle.alias_targets(client, indexer.alias)
    catalog = write_jsonl(tmp_path / "v2.jsonl", products(400, "v2"))
    with pytest.raises(OSError, match="went away"):
        indexer.reindex(catalog, rows=_failing_rows(catalog, after=300), keep_failed=keep_failed)
    assert lifecycle.alias_targets(client, indexer.alias) == serving
    assert client.count(index=indexer.alias)["count"] == 50
    leftovers = [i for i in lifecycle.managed_indices(client, indexer.alias) if i not in serving]
    assert len(leftovers) == (1 if keep_failed else 0)


def test_too_many_rejects_keep_the_old_index(make_indexer, client, tmp_path) -> None:
    indexer = make_indexer()
    indexer.reindex(write_jsonl(tmp_path / "v1.jsonl", products(20)))
    broken = [{**row, "price": -1} if i % 2 else row for i, row in enumerate(products(20, "v2"))]
    with pytest.raises(ReindexError, match="10 of 20 rows rejected"):
        indexer.reindex(write_jsonl(tmp_path / "v2.jsonl", broken))
    assert search_ids(client, indexer.alias, {"match": {"title": "v2"}}) == []
    assert client.count(index=indexer.alias)["count"] == 20


def test_rollback_and_pruning(make_indexer, client, tmp_path) -> None:
    indexer = make_indexer(keep=1)
    names = [
        indexer.reindex(write_jsonl(tmp_path / f"{tag}.jsonl", products(5, tag))).index for tag in ("v1", "v2", "v3")
    ]
    assert lifecycle.managed_indices(client, indexer.alias) == names[1:]  # v1 pruned, v2 kept for rollback
    assert indexer.rollback() == (names[2], names[1])
    assert search_ids(client, indexer.alias, {"match": {"title": "v2"}}, 10)
    with pytest.raises(Exception, match="no older index"):
        indexer.rollback()


def test_upsert_and_delete_are_visible_after_refresh(make_indexer, client, tmp_path) -> None:
    indexer = make_indexer()
    indexer.reindex(write_jsonl(tmp_path / "v1.jsonl", products(10)))
    changes = [
        {"id": "P001", "title": "renamed lamp", "price": 1},
        {"id": "P100", "title": "new tent"},
        {"id": "", "title": "bad"},
    ]
    report, dead = indexer.upsert(write_jsonl(tmp_path / "changes.jsonl", changes))
    assert (report.written, report.rejected) == (2, 1) and dead is not None
    assert client.get(index=indexer.alias, id="P001")["_source"]["title"] == "renamed lamp"
    assert client.count(index=indexer.alias)["count"] == 11
    assert indexer.delete(["P100", "P002", "NOPE"]) == {"deleted": ["P100", "P002"], "not_found": ["NOPE"]}
    assert client.count(index=indexer.alias)["count"] == 9


def test_upserts_and_deletes_are_refused_while_a_reindex_loads_then_land(make_indexer, client, tmp_path) -> None:
    """Written to the served index during a reindex, they would vanish at the alias swap: refused, with why."""
    indexer = make_indexer()
    indexer.reindex(write_jsonl(tmp_path / "v1.jsonl", products(10)))
    loading, release = threading.Event(), threading.Event()

    def slow_rows() -> Iterator[RawRow]:
        rows = [RawRow("stream", n + 1, record) for n, record in enumerate(products(10, tag="v2"))]
        yield from rows[:5]
        loading.set()
        release.wait(60)
        yield from rows[5:]

    reindex = threading.Thread(target=lambda: indexer.reindex(None, rows=slow_rows()))
    reindex.start()
    assert loading.wait(60)
    change = write_jsonl(tmp_path / "change.jsonl", [{"id": "P003", "title": "renamed during the reindex"}])
    with pytest.raises(ReindexError, match=r"a reindex is loading .*; upsert after it finishes"):
        indexer.upsert(change)
    with pytest.raises(ReindexError, match="delete after it finishes"):
        indexer.delete(["P004"])
    release.set()
    reindex.join(60)
    indexer.upsert(change)  # the reindex is done: the change lands on the new index
    assert client.get(index=indexer.alias, id="P003")["_source"]["title"] == "renamed during the reindex"
    assert not lifecycle.alias_targets(client, lifecycle.loading_alias(indexer.alias))


def test_unchanged_catalog_reencodes_nothing_and_a_change_only_itself(make_indexer, tmp_path) -> None:
    indexer = make_indexer()
    rows = products(40)
    first = indexer.reindex(write_jsonl(tmp_path / "c.jsonl", rows)).write
    second = indexer.reindex(write_jsonl(tmp_path / "c.jsonl", rows)).write
    rows[7]["title"] = "completely new title"
    third = indexer.reindex(write_jsonl(tmp_path / "c.jsonl", rows)).write
    assert (first.encoded, second.encoded, second.cached, third.encoded, third.cached) == (40, 0, 40, 1, 39)


def test_text_analysis_english_stems_and_chinese_bigrams(make_indexer, client, tmp_path) -> None:
    indexer = make_indexer()
    catalog = [
        {"id": "k", "title": "Forged chef knives"},
        {"id": "t", "title": "张小泉 不锈钢菜刀"},
        {"id": "c", "title": "西湖龙井 明前新茶"},
    ]
    indexer.reindex(write_jsonl(tmp_path / "c.jsonl", catalog))
    assert search_ids(client, indexer.alias, {"match": {"title": "knife"}}) == ["k"]
    assert search_ids(client, indexer.alias, {"match": {"title.cjk": "菜刀"}}) == ["t"]
    assert search_ids(client, indexer.alias, {"match": {"title.cjk": "龙井"}}) == ["c"]


def test_cli_build_status_and_errors(os_settings, client, tiny_bert_dir, tmp_path) -> None:
    alias = f"test-cli-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "SHOPSEARCH_OPENSEARCH_URL": ",".join(str(u) for u in os_settings.url),
        "SHOPSEARCH_INDEX_ALIAS": alias,
        "SHOPSEARCH_INDEX_VECTOR_CACHE": str(tmp_path / "v.sqlite"),
        "SHOPSEARCH_INDEX_DEAD_LETTER_DIR": str(tmp_path / "rejected"),
    }

    def shopsearch(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "shopsearch.cli", *args]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)

    catalog = write_jsonl(tmp_path / "c.jsonl", products(12))
    try:
        built = shopsearch("index", "build", str(catalog), "--model", str(tiny_bert_dir))
        assert built.returncode == 0, built.stderr
        assert json.loads(built.stdout)["written"] == 12
        again = shopsearch("index", "build", str(catalog), "--model", str(tiny_bert_dir))
        assert again.returncode == 1 and "exists already; use `shopsearch index reindex`" in again.stderr
        status = shopsearch("index", "status")
        assert status.returncode == 0 and f"alias {alias} -> {alias}-" in status.stdout
        assert "docs=12" in status.stdout and "dim=32" in status.stdout and "mapping=v3" in status.stdout
    finally:
        client.indices.delete(index=f"{alias}-*", ignore_unavailable=True)
    gone = shopsearch("index", "upsert", str(catalog))
    assert gone.returncode == 1 and f"alias '{alias}' does not exist" in gone.stderr
    assert "Traceback" not in gone.stderr
