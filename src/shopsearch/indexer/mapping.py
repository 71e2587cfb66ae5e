"""Index mapping files (``mappings/*.json``): loaded, validated and cross-checked before any index is touched."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from shopsearch.errors import MappingError, first_problem

BUILTIN_ANALYZERS = frozenset(
    {"standard", "simple", "whitespace", "stop", "keyword", "pattern", "english", "cjk", "fingerprint"}
)
REQUIRED_FIELDS = ("id", "title")


class VectorMethod(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["hnsw"]
    engine: Literal["lucene"]  # the Maven k-NN plugin has no faiss/nmslib natives
    space_type: Literal["cosinesimil", "innerproduct", "l2"]
    parameters: dict[str, int] = {}


class VectorField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["knn_vector"]
    dimension: int | Literal["auto"] = "auto"
    method: VectorMethod


class MappingFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    description: str = ""
    vector_field: str = "embedding"
    vector_copy_field: str | None = None  # a binary field holding the vector as base64 float32, read back
    settings: dict[str, Any]
    mappings: dict[str, Any]


class IndexMapping:
    """A validated mapping file, ready to create an index for a model of a given dimension."""

    def __init__(self, path: Path, spec: MappingFile, vector: VectorField) -> None:
        self.path, self.spec, self.vector = path, spec, vector

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def vector_field(self) -> str:
        return self.spec.vector_field

    @property
    def vector_copy_field(self) -> str | None:
        return self.spec.vector_copy_field

    def check_dimension(self, dimension: int) -> None:
        if self.vector.dimension not in ("auto", dimension):
            raise MappingError(
                f"{self.path}: mappings.properties.{self.vector_field}.dimension is {self.vector.dimension}"
                f' but the model gives {dimension}-d vectors (use "auto")'
            )

    def index_body(self, dimension: int, meta: dict[str, Any]) -> dict[str, Any]:
        """The create-index body: the file's settings and mappings, the model's dimension, our _meta."""
        self.check_dimension(dimension)
        mappings = copy.deepcopy(self.spec.mappings)
        mappings["properties"][self.vector_field]["dimension"] = dimension
        mappings["_meta"] = {**meta, "mapping_version": self.version, "mapping_file": self.path.name}
        return {"settings": copy.deepcopy(self.spec.settings), "mappings": mappings}


def load_mapping(path: Path, required: tuple[str, ...] = REQUIRED_FIELDS) -> IndexMapping:
    """Read and validate a mapping file; every error names the file and the key."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"mapping file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise MappingError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
    spec = _validate(path, MappingFile, raw, "")
    properties = spec.mappings.get("properties")
    if not isinstance(properties, dict):
        raise MappingError(f"{path}: mappings.properties must be an object")
    for name in (*required, spec.vector_field):
        if name not in properties:
            raise MappingError(f"{path}: mappings.properties.{name} is required")
    vector = _validate(path, VectorField, properties[spec.vector_field], f"mappings.properties.{spec.vector_field}.")
    copy = spec.vector_copy_field
    if copy is not None and properties.get(copy, {}).get("type") != "binary":
        raise MappingError(f"{path}: mappings.properties.{copy} must be a binary field (vector_copy_field)")
    if spec.settings.get("index", {}).get("knn") is not True:
        raise MappingError(f"{path}: settings.index.knn must be true for a knn_vector field")
    _check_analyzers(path, spec)
    return IndexMapping(path, spec, vector)


def _validate(path: Path, model: type[BaseModel], data: Any, prefix: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise MappingError(f"{path}: {first_problem(exc, prefix)}") from None


def _check_analyzers(path: Path, spec: MappingFile) -> None:
    """Every analyzer a field names is defined in settings.analysis or built in."""
    defined = set(spec.settings.get("analysis", {}).get("analyzer", {})) | BUILTIN_ANALYZERS
    for key, analyzer in _analyzer_refs(spec.mappings.get("properties", {}), "mappings.properties"):
        if analyzer not in defined:
            raise MappingError(f"{path}: {key}: analyzer {analyzer!r} is not defined in settings.analysis.analyzer")


def _analyzer_refs(properties: dict[str, Any], prefix: str) -> list[tuple[str, str]]:
    refs = []
    for name, field in properties.items():
        for attr in ("analyzer", "search_analyzer"):
            if attr in field:
                refs.append((f"{prefix}.{name}.{attr}", field[attr]))
        for nested in ("fields", "properties"):
            if isinstance(field.get(nested), dict):
                refs += _analyzer_refs(field[nested], f"{prefix}.{name}.{nested}")
    return refs
