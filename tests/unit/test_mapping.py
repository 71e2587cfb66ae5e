"""Mapping files are validated before any index is touched; errors name the file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shopsearch.config import MAPPINGS_DIR
from shopsearch.errors import MappingError
from shopsearch.indexer.mapping import load_mapping

SHIPPED = MAPPINGS_DIR / "products.json"


def _variant(tmp_path: Path, change) -> Path:
    data = json.loads(SHIPPED.read_text())
    change(data)
    path = tmp_path / "products.json"
    path.write_text(json.dumps(data))
    return path


def test_shipped_mapping_is_valid_and_fills_the_dimension() -> None:
    mapping = load_mapping(SHIPPED)
    body = mapping.index_body(384, {"model_id": "m"})
    vector = body["mappings"]["properties"]["embedding"]
    assert vector["dimension"] == 384 and vector["method"]["engine"] == "lucene"
    assert body["mappings"]["_meta"] == {"model_id": "m", "mapping_version": 3, "mapping_file": "products.json"}


def test_faiss_engine_is_rejected(tmp_path: Path) -> None:
    path = _variant(tmp_path, lambda d: d["mappings"]["properties"]["embedding"]["method"].update(engine="faiss"))
    with pytest.raises(MappingError, match=r"products.json: mappings.properties.embedding.method.engine"):
        load_mapping(path)


def test_fixed_dimension_must_match_the_model(tmp_path: Path) -> None:
    path = _variant(tmp_path, lambda d: d["mappings"]["properties"]["embedding"].update(dimension=768))
    with pytest.raises(MappingError, match="dimension is 768 but the model gives 384-d"):
        load_mapping(path).check_dimension(384)


def test_undefined_analyzer_is_named(tmp_path: Path) -> None:
    path = _variant(
        tmp_path, lambda d: d["mappings"]["properties"]["title"]["fields"]["cjk"].update(analyzer="smartcn")
    )
    with pytest.raises(MappingError, match=r"mappings.properties.title.fields.cjk.analyzer: analyzer 'smartcn'"):
        load_mapping(path)


def test_missing_required_field_and_bad_json(tmp_path: Path) -> None:
    path = _variant(tmp_path, lambda d: d["mappings"]["properties"].pop("title"))
    with pytest.raises(MappingError, match="mappings.properties.title is required"):
        load_mapping(path)
    path.write_text("{")
    with pytest.raises(MappingError, match="invalid JSON at line 1"):
        load_mapping(path)
