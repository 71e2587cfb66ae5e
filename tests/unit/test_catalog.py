"""Catalog rows: readers for JSONL/CSV/Parquet and the Product validator (with property tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopsearch.errors import CatalogError
from shopsearch.indexer.catalog import read_catalog
from shopsearch.indexer.product import RowError, parse_product

GOOD = {
    "id": "P1",
    "title": "Chef knife",
    "category": "Home > Kitchen > Knives",
    "brand": "Shun",
    "tags": "sharp|forged",
    "price": "49.90",
    "sales": "12",
    "stock": "0",
    "color": "black",
}


def test_product_normalises_a_csv_style_row() -> None:
    product = parse_product(GOOD)
    assert product.category == ["Home", "Kitchen", "Knives"]
    assert product.tags == ["sharp", "forged"]
    assert (product.price, product.sales, product.stock) == (49.9, 12, 0)
    doc = product.document()
    assert doc["category_levels"] == ["Home", "Home > Kitchen", "Home > Kitchen > Knives"]
    assert doc["in_stock"] is False and doc["attrs"] == {"color": "black"}


def test_chinese_row() -> None:
    product = parse_product({"id": 7, "title": "张小泉 不锈钢菜刀", "category": ["家居", "厨房", "刀具"], "price": 89})
    assert product.id == "7" and product.category_path == "家居 > 厨房 > 刀具"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({**GOOD, "id": "  "}, "id", "Field required"),
        ({**GOOD, "title": None}, "title", "Field required"),
        ({**GOOD, "price": "-3"}, "price", "greater than or equal to 0"),
        ({**GOOD, "price": "cheap"}, "price", "valid number"),
        ({**GOOD, "sales": "2.5"}, "sales", "valid integer"),
        ({**GOOD, "rating": 7}, "rating", "less than or equal to 5"),
        ({**GOOD, "created_at": "yesterday"}, "created_at", "datetime"),
        ({**GOOD, "id": 1.5}, "id", "string or an integer"),
    ],
)
def test_bad_rows_name_the_field(row: dict, field: str, message: str) -> None:
    with pytest.raises(RowError) as failure:
        parse_product(row)
    assert field in failure.value.fields
    assert message in failure.value.fields[field]


levels = st.lists(
    st.text(
        st.characters(blacklist_characters=">＞/|,", blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=12
    ),
    min_size=1,
    max_size=5,
)


@given(levels)
def test_category_paths_round_trip(parts: list[str]) -> None:
    product = parse_product({"id": "x", "title": "t", "category": " > ".join(parts)})
    assert product.category == [p.strip() for p in parts]
    assert parse_product({"id": "x", "title": "t", "category": product.category_path}).category == product.category


@given(
    st.lists(
        st.text(
            st.characters(blacklist_characters="|,", blacklist_categories=("Cs", "Cc", "Zs")), min_size=1, max_size=10
        ),
        max_size=6,
    ),
    st.sampled_from(["|", ",", " | ", ", "]),
)
def test_tag_strings_split_like_lists(tags: list[str], sep: str) -> None:
    as_text = parse_product({"id": "x", "title": "t", "tags": sep.join(tags)}).tags
    as_list = parse_product({"id": "x", "title": "t", "tags": tags}).tags
    assert as_text == as_list == [t.strip() for t in tags if t.strip()]


@given(st.integers(min_value=0, max_value=10**12))
def test_whole_numbers_from_text_and_float(n: int) -> None:
    for value in (n, str(n), float(n), f"{n}.0"):
        assert parse_product({"id": "x", "title": "t", "sales": value}).sales == n


def test_jsonl_reader_keeps_bad_lines_as_rows(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"id": "1", "title": "ok"}\n\n{not json}\n[1, 2]\n{"id": "2", "title": "caf\xe9"}\n')
    rows = list(read_catalog(path))
    assert [(r.row, r.record is not None) for r in rows] == [(1, True), (3, False), (4, False), (5, False)]
    assert rows[1].error.startswith("invalid JSON") and rows[1].raw == "{not json}"
    assert "must be a JSON object" in rows[2].error
    assert rows[3].error.startswith("not valid UTF-8")


def test_csv_reader_rows_and_bad_bytes(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        'id,title,price\n1,Chef knife,10\n2,caf\xe9 bad,3\n3,"Wok, carbon steel",20,extra\n4,茶,8\n'.encode(
            "latin-1", "replace"
        ).replace(b"?", "茶".encode())
    )
    rows = list(read_catalog(path))
    assert rows[0].record == {"id": "1", "title": "Chef knife", "price": "10"}
    assert rows[1].error == "title: not valid UTF-8"
    assert rows[2].error == "more cells than header columns"
    assert rows[3].record["title"] == "茶"


def test_parquet_reader(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "title": ["a", "b"], "price": [1.5, None]}), path)
    rows = list(read_catalog(path))
    assert [r.record for r in rows] == [
        {"id": "1", "title": "a", "price": 1.5},
        {"id": "2", "title": "b", "price": None},
    ]


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="pass --format"):
        read_catalog(tmp_path / "c.xlsx")
    with pytest.raises(CatalogError, match="does not exist"):
        read_catalog(tmp_path / "c.jsonl")


def test_format_flag_overrides_extension(tmp_path: Path) -> None:
    path = tmp_path / "catalog.txt"
    path.write_text(json.dumps({"id": "1", "title": "x"}) + "\n")
    assert [r.record for r in read_catalog(path, "jsonl")] == [{"id": "1", "title": "x"}]
