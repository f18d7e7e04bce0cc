"""The local stack: an embedded broker and every service as a supervised child process.

Each child's output is prefixed with its name. A child that exits is reported and restarted
at most ``max_restarts`` times (with growing back-off), then left down and reported as failed —
never restarted forever. Ctrl-C or SIGTERM stops every child, then the broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.text import Text

from services.core.ids import new_ulid
from services.core.settings import Settings
from services.kafka.admin import ensure_topics
from services.kafka.broker import EmbeddedBroker, free_port
from services.runtime.registry import SERVICES, ServiceSpec

COLORS = ("cyan", "magenta", "green", "yellow", "blue", "bright_red", "bright_cyan", "bright_magenta")


@dataclass
class Child:
    spec: ServiceSpec
    color: str
    env: dict[str, str]
    proc: subprocess.Popen[str] | None = None
    restarts: int = 0
    failed: bool = False
    next_start: float = 0.0
    exits: list[int] = field(default_factory=list)


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        names: list[str] | None = None,
        specs: list[ServiceSpec] | None = None,
        console: Console | None = None,
        max_restarts: int = 3,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.specs = specs if specs is not None else [SERVICES[n] for n in (names or list(SERVICES))]
        self.console = console or Console()
        self.max_restarts = max_restarts
        self.extra_env = extra_env or {}
        self.broker: EmbeddedBroker | None = None
        self.bootstrap = settings.kafka_bootstrap
        self.children: list[Child] = []
        self.endpoints: dict[str, str] = {}
        self._stop = threading.Event()
        self._print_lock = threading.Lock()

    # -- start ---------------------------------------------------------------------------
    def start(self) -> None:
        if not self.bootstrap:
            log_path = Path(self.settings.data_dir) / "logs" / "broker.log"
            self.broker = EmbeddedBroker(log_path=log_path).start()
            self.bootstrap = self.broker.bootstrap
            # The embedded broker keeps topics in memory: each start is a new cluster.
            self.extra_env.setdefault("AR_KAFKA_CLUSTER_ID", f"embedded-{new_ulid()}")
        self.endpoints["kafka"] = self.bootstrap
        ensure_topics(self.settings, self.bootstrap)
        for index, spec in enumerate(self.specs):
            env = self._child_env(spec)
            child = Child(spec, COLORS[index % len(COLORS)], env)
            self.children.append(child)
            self._spawn(child)
        self._print_endpoints()

    def _child_env(self, spec: ServiceSpec) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.extra_env)
        env["AR_KAFKA_BOOTSTRAP"] = self.bootstrap
        env["AR_DATA_DIR"] = str(Path(self.settings.data_dir).resolve())
        env.setdefault("AR_LOG_FORMAT", "console")
        env["PYTHONUNBUFFERED"] = "1"
        metrics_port = free_port()
        env["AR_METRICS_PORT"] = str(metrics_port)
        self.endpoints[f"{spec.name} metrics"] = f"http://127.0.0.1:{metrics_port}/metrics"
        if spec.web:
            web_port = int(self.extra_env.get("AR_WEB_PORT") or 0) or free_port()
            env["AR_WEB_PORT"] = str(web_port)
            self.endpoints[f"{spec.name} web"] = f"http://127.0.0.1:{web_port}/"
        return env

    def _spawn(self, child: Child) -> None:
        cmd = [sys.executable, "-m", "services.runtime.launch", child.spec.name, child.spec.entry]
        child.proc = subprocess.Popen(
            cmd,
            env=child.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        threading.Thread(target=self._pump, args=(child, child.proc.stdout), daemon=True).start()

    def _pump(self, child: Child, stream: IO[str] | None) -> None:
        if stream is None:
            return
        for line in stream:
            text = Text.assemble((f"{child.spec.name:>9} | ", child.color), Text.from_ansi(line.rstrip()))
            with self._print_lock:
                self.console.print(text, highlight=False, soft_wrap=True)

    def _print_endpoints(self) -> None:
        self.console.rule("accessreview is up")
        for name, where in self.endpoints.items():
            self.console.print(f"  {name:<18} {where}")
        self.console.print("  Ctrl-C stops everything.")

    # -- watch ---------------------------------------------------------------------------
    def watch_once(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.failed or child.proc is None:
                continue
            code = child.proc.poll()
            if code is None:
                continue
            if child.next_start == 0.0:
                child.exits.append(code)
                if child.restarts >= self.max_restarts:
                    child.failed = True
                    self.console.print(
                        f"[bold red]{child.spec.name} failed[/]: exited with code {code} "
                        f"{child.restarts + 1} times; left stopped (see its log above)"
                    )
                    continue
                delay = 2.0**child.restarts
                child.next_start = now + delay
                self.console.print(f"[yellow]{child.spec.name} exited with code {code}; restarting in {delay:.0f} s[/]")
            elif now >= child.next_start:
                child.restarts += 1
                child.next_start = 0.0
                self._spawn(child)

    def wait(self) -> None:
        while not self._stop.is_set():
            self.watch_once()
            self._stop.wait(0.5)

    @property
    def failed(self) -> list[str]:
        return [c.spec.name for c in self.children if c.failed]

    # -- stop ----------------------------------------------------------------------------
    def request_stop(self, *_: object) -> None:
        self._stop.set()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        for child in self.children:
            if child.proc and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in self.children:
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.console.print(f"[yellow]{child.spec.name} did not stop in time; killing it[/]")
                child.proc.kill()
                child.proc.wait()
        if self.broker:
            self.broker.stop()
            self.broker = None
