"""The default mapping files ship as package data; ./mappings/ overrides them entry by entry; machine dirs."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from shopsearch.config import MAPPINGS_DIR, Settings, cache_root, engine_data_dir, load_settings

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"

# (section, key) of every setting that names a mapping file or folder, and that entry's name.
MAPPING_SETTINGS: dict[tuple[str, str], str] = {
    ("index", "mapping"): "products.json",
    ("index", "synonyms"): "synonyms.txt",
    ("api", "profiles_dir"): "profiles",
    ("api", "rules_dir"): "rules",
    ("api", "users_mapping"): "user_profiles.json",
    ("api", "events_template"): "events.json",
    ("api", "searches_template"): "searches.json",
    ("api", "recs_mapping"): "recs.json",
}
MACHINE_VARS = ("SHOPSEARCH_CACHE", "SHOPSEARCH_ENGINE_DATA", "XDG_CACHE_HOME", "XDG_DATA_HOME")


def _path(settings: Settings, section: str, key: str) -> Path:
    value = getattr(getattr(settings, section), key)
    assert isinstance(value, Path)
    return value


@pytest.fixture
def bare_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without mappings/, and no environment naming a mapping file or a config."""
    monkeypatch.delenv("SHOPSEARCH_CONFIG", raising=False)
    for section, key in MAPPING_SETTINGS:
        monkeypatch.delenv(f"SHOPSEARCH_{section}_{key}".upper(), raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_the_defaults_are_package_data(bare_cwd: Path) -> None:
    packaged = resources.files("shopsearch").joinpath("mappings")
    settings = load_settings()
    for (section, key), name in MAPPING_SETTINGS.items():
        assert _path(settings, section, key) == MAPPINGS_DIR / name
        entry = packaged.joinpath(name)
        assert entry.is_dir() if name in ("profiles", "rules") else entry.is_file(), name
    assert packaged.joinpath("profiles", "default.yaml").is_file()


def test_pyproject_ships_every_mapping_file() -> None:
    """What `pip install .` (not editable) copies: the package-data globs must cover every file in mappings/."""
    patterns: list[str] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"][
        "shopsearch"
    ]
    package = MAPPINGS_DIR.parent
    shipped = {path for pattern in patterns for path in package.glob(pattern) if path.is_file()}
    files = {path for path in MAPPINGS_DIR.rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    assert files, "no mapping files in the package"
    assert files - shipped == set()


def test_a_local_mappings_folder_overrides_entry_by_entry(bare_cwd: Path) -> None:
    local = bare_cwd / "mappings"
    (local / "profiles").mkdir(parents=True)
    (local / "products.json").write_text("{}", encoding="utf-8")
    (local / "profiles" / "mine.yaml").write_text("{}", encoding="utf-8")
    settings = load_settings()
    assert settings.index.mapping == local.resolve() / "products.json"
    assert settings.api.profiles_dir == local.resolve() / "profiles"
    assert settings.index.synonyms == MAPPINGS_DIR / "synonyms.txt"  # not in ./mappings/: packaged
    assert settings.api.rules_dir == MAPPINGS_DIR / "rules"


def test_a_setting_beats_the_local_folder(bare_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (bare_cwd / "mappings").mkdir()
    (bare_cwd / "mappings" / "products.json").write_text("{}", encoding="utf-8")
    (bare_cwd / "mappings" / "synonyms.txt").write_text("", encoding="utf-8")
    mine = bare_cwd / "elsewhere.json"
    monkeypatch.setenv("SHOPSEARCH_INDEX_MAPPING", str(mine))
    settings = load_settings(index={"synonyms": bare_cwd / "syn.txt"})
    assert settings.index.mapping == mine
    assert settings.index.synonyms == bare_cwd / "syn.txt"


def test_machine_dirs_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in MACHINE_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "shopsearch"
    assert engine_data_dir() == tmp_path / "home" / ".local" / "share" / "shopsearch" / "engine"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xc"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xd"))
    monkeypatch.setenv("SHOPSEARCH_CACHE", "")  # empty counts as unset, as in ./run
    assert cache_root() == tmp_path / "xc" / "shopsearch"
    assert engine_data_dir() == tmp_path / "xd" / "shopsearch" / "engine"
    monkeypatch.setenv("SHOPSEARCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SHOPSEARCH_ENGINE_DATA", str(tmp_path / "data"))
    assert cache_root() == tmp_path / "cache"
    assert engine_data_dir() == tmp_path / "data"
