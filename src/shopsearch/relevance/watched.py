"""A directory of YAML files a relevance engineer edits while the API runs (profiles, rules): each
file loaded and validated, and everything re-read when a file changes, appears or goes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from shopsearch.errors import ConfigError

log = logging.getLogger(__name__)
T = TypeVar("T")


class WatchedDirectory(Generic[T]):
    """``load`` applied to every ``*.yaml`` of ``directory``, by file stem. A broken edit is logged and
    the files loaded before keep serving; only the first load raises it."""

    def __init__(self, directory: Path, load: Callable[[Path], T], what: str) -> None:
        self.directory, self.load, self.what = Path(directory), load, what
        self._lock = threading.Lock()
        self._stamp: tuple[tuple[str, float], ...] | None = None
        self._loaded: dict[str, T] = {}

    def current(self) -> dict[str, T]:
        files = sorted(self.directory.glob("*.yaml"))
        stamp = tuple((f.name, _mtime(f)) for f in files)
        if stamp != self._stamp:
            with self._lock:
                self._reload(files, stamp)
        return self._loaded

    def _reload(self, files: list[Path], stamp: tuple[tuple[str, float], ...]) -> None:
        try:
            self._loaded = {f.stem: self.load(f) for f in files}
        except (ConfigError, OSError, ValueError) as exc:  # a bad byte, a file gone between glob and read
            if self._stamp is None:
                raise exc if isinstance(exc, ConfigError) else ConfigError(f"{self.directory}: {exc}") from None
            log.error("%s not reloaded, the previous ones keep serving: %s", self.what, exc)
        self._stamp = stamp


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed since the glob: the next look sees it gone
        return -1.0
