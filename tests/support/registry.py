"""A real schema registry for tests: Apicurio Registry 2.4.2.Final, Confluent-compatible API.

The runner is assembled from Maven Central jars by ``tests/support/apicurio/pom.xml`` (see the
comments there). It is built once per content of that POM and its ``application.properties``,
into ``var/cache/apicurio/<sha>/`` (a copy of the project, built in place, so the repository
tree stays clean), under a file lock so parallel test processes build it only once.

:func:`apicurio_registry` starts it on a free loopback port with in-memory storage (an empty
registry each time) and yields the Confluent-compatible base URL,
``http://127.0.0.1:PORT/apis/ccompat/v7``. Without ``java`` or ``mvn`` on PATH the calling test
is skipped, unless ``CI=true``, where it fails.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from services.kafka.broker import free_port, wait_for_port

PROJECT = Path(__file__).with_name("apicurio")
SOURCES = ("pom.xml", "src/main/resources/application.properties")
CACHE = Path(__file__).resolve().parents[2] / "var" / "cache" / "apicurio"
RUNNER_JAR = Path("target") / "apicurio-runner-1.0-runner.jar"
CCOMPAT_PATH = "/apis/ccompat/v7"
JAVA_OPTS = ("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
LOG_TAIL_LINES = 30


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    reason = f"the Apicurio schema registry needs '{name}' on PATH (Java 17+ and Maven); it was not found"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def source_digest() -> str:
    """The build's cache key: sha256 over the project files' names and contents."""
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update(name.encode() + b"\0" + (PROJECT / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_runner(cache: Path = CACHE, timeout_s: float = 900.0) -> Path:
    """The runner jar, building it with Maven the first time (file-locked; ``.complete`` marks success)."""
    target = cache / source_digest()
    jar = target / RUNNER_JAR
    done = target / ".complete"
    if done.exists():
        return jar
    mvn = _tool("mvn")
    target.mkdir(parents=True, exist_ok=True)
    with open(target / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():  # another process built it while we waited
            return jar
        shutil.rmtree(target / "target", ignore_errors=True)  # a half-finished earlier attempt
        for name in SOURCES:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PROJECT / name, target / name)
        log = target / "build.log"
        cmd = [mvn, "-B", "-q", "-f", str(target / "pom.xml"), "package", "-DskipTests"]
        try:
            with open(log, "wb") as out:
                result = subprocess.run(cmd, cwd=target, stdout=out, stderr=subprocess.STDOUT, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"building the Apicurio runner took over {timeout_s:.0f} s; log {log}:\n{_tail(log)}") from None
        if result.returncode != 0 or not jar.is_file():
            raise RuntimeError(
                f"building the Apicurio runner failed (mvn exit {result.returncode}, jar present: {jar.is_file()}); "
                f"log {log}:\n{_tail(log)}"
            )
        done.touch()
    return jar


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - a loopback http URL of our own
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM the registry's process group, then SIGKILL if it has not gone within ``timeout_s``."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()


@contextmanager
def apicurio_registry(ready_timeout_s: float = 90.0) -> Iterator[str]:
    """Build (once) and start Apicurio Registry; yield its Confluent-compatible base URL; stop it."""
    java = _tool("java")
    jar = build_runner()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="ar-apicurio-"))
    log = workdir / "registry.log"
    env = dict(os.environ, QUARKUS_HTTP_HOST="127.0.0.1", HTTP_PORT=str(port))
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [java, *JAVA_OPTS, "-jar", str(jar)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    keep_log = False
    try:
        deadline = time.monotonic() + ready_timeout_s
        while not (wait_for_port("127.0.0.1", port, 0.5) and _ready(f"{base}/health/ready")):
            if proc.poll() is not None or time.monotonic() > deadline:
                exited = proc.poll() is not None
                state = f"exited with {proc.returncode}" if exited else f"not ready after {ready_timeout_s:g} s"
                keep_log = True
                raise RuntimeError(f"Apicurio Registry on {base} {state}; last lines of {log}:\n{_tail(log)}")
            time.sleep(0.1)
        yield base + CCOMPAT_PATH
    finally:
        _stop(proc)
        if not keep_log:
            shutil.rmtree(workdir, ignore_errors=True)
