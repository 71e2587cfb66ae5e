"""Resolve the engine's jars from Maven Central once per version of ``pom.xml`` and reuse them."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from shopsearch.config import cache_root
from shopsearch.errors import EngineError

KNN_PLUGIN_CLASS = "org.opensearch.knn.plugin.KNNPlugin"
RUNNER_MAIN_CLASS = "org.codelibs.opensearch.runner.OpenSearchRunner"
MIN_JAVA = 17


def _pom() -> Path:
    return Path(str(resources.files("shopsearch.engine").joinpath("pom.xml")))


def java_binary() -> str:
    """The java to run: $JAVA_HOME/bin/java, else the one on PATH; must be Java 17 or newer."""
    # JAVA_HOME is the JDK's own convention for finding java (as PATH is), not a shopsearch setting.
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise EngineError("Java is not installed: install a JDK 17+ (e.g. apt-get install openjdk-17-jdk-headless)")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)', out)
    if not match or int(match.group(1)) < MIN_JAVA:
        raise EngineError(f"{java} is too old ({out.splitlines()[0] if out else '?'}); need Java {MIN_JAVA}+")
    return java


def classpath() -> str:
    """Return the runner + k-NN classpath, running Maven the first time (downloads, about 200 MB)."""
    pom = _pom()
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    build_dir = cache_root() / "engine" / digest
    done = build_dir / ".resolved"
    if not done.exists():
        _run_maven(pom, build_dir)
        done.touch()
    return os.pathsep.join([str(build_dir / "lib" / "*"), str(build_dir / "knn" / "*")])


def _run_maven(pom: Path, build_dir: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise EngineError("Maven is not installed: install it (e.g. apt-get install maven) to fetch OpenSearch")
    shutil.rmtree(build_dir, ignore_errors=True)
    cmd = [mvn, "-B", "-q", "-f", str(pom), "package", f"-Dengine.build.dir={build_dir}"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise EngineError(f"Maven could not resolve the engine artifacts ({' '.join(cmd)}):\n{tail}")
