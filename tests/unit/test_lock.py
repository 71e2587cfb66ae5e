"""The lock in requirements/lock/ pins every range of requirements/*.txt, with hashes, and is what is installed."""

from __future__ import annotations

import re
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
RANGES = ROOT / "requirements"
LOCK = RANGES / "lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)(?: ; ([^\\]+?))? \\$", re.MULTILINE)


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _ranges(path: Path) -> list[Requirement]:
    """Requirement lines of a ranges file, following `-r` includes."""
    found: list[Requirement] = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            found += _ranges(path.parent / line[3:].strip())
        elif line:
            found.append(Requirement(line))
    return found


def _pins(path: Path) -> dict[str, str]:
    """Name -> version of the lock entries that apply to this interpreter and platform."""
    text = path.read_text()
    return {
        _name(name): pinned
        for name, pinned, marker in PIN.findall(text)
        if marker is None or not marker or Marker(marker).evaluate()
    }


@pytest.mark.parametrize("name", ["runtime", "dev", "tools"])
def test_every_range_is_pinned_by_its_lock(name: str) -> None:
    pins = _pins(LOCK / f"{name}.txt")
    for requirement in _ranges(RANGES / f"{name}.txt"):
        pinned = pins.get(_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is missing from requirements/lock/{name}.txt"
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"requirements/lock/{name}.txt pins {requirement.name}=={pinned}, outside {requirement.specifier}"
        )


def test_every_pin_has_a_hash() -> None:
    for path in LOCK.glob("*.txt"):
        entries = re.split(r"\n(?=\S)", path.read_text())
        unhashed = [entry.split()[0] for entry in entries if "==" in entry and "--hash=sha256:" not in entry]
        assert not unhashed, f"{path.name}: no hash for {unhashed}"


def test_runtime_lock_agrees_with_the_dev_lock() -> None:
    runtime, dev = _pins(LOCK / "runtime.txt"), _pins(LOCK / "dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_environment_is_the_lock() -> None:
    for name, pinned in _pins(LOCK / "dev.txt").items():
        assert version(name) == pinned, f"{name} {version(name)} is installed, the lock says {pinned}"


def test_the_check_names_the_refresh_command(tmp_path: Path) -> None:
    """A changed range without a refreshed lock fails `./run lock --check` with the command that fixes it."""
    clone = tmp_path / "clone"
    (clone / "requirements").mkdir(parents=True)
    subprocess.run(["cp", "-r", str(LOCK), str(clone / "requirements")], check=True)
    for name in ("runtime", "dev", "tools"):
        (clone / "requirements" / f"{name}.txt").write_text((RANGES / f"{name}.txt").read_text())
    (clone / "run").write_text((ROOT / "run").read_text())
    check = ["bash", str(clone / "run"), "lock", "--check"]
    assert subprocess.run(check, capture_output=True).returncode == 0
    runtime = clone / "requirements" / "runtime.txt"
    runtime.write_text(runtime.read_text().replace("numpy>=1.26", "numpy>=1.27"))
    failed = subprocess.run(check, capture_output=True, text=True)
    assert failed.returncode != 0
    assert "out of date" in failed.stderr and "./run lock" in failed.stderr
