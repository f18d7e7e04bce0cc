"""A local S3 API with Object Lock (moto's server) on a free loopback port, for tests and benchmarks.

Not AWS: moto does not refuse shortening a COMPLIANCE retention (see docs/ledger.md); the ledger's
own checks do not rely on it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from services.core.errors import UnavailableError
from services.kafka.broker import free_port, wait_for_port


@contextmanager
def moto_s3() -> Iterator[str]:
    """moto's S3 server (Object Lock, versioning, conditional writes); yields its endpoint URL."""
    port = free_port()
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    try:
        if not wait_for_port("127.0.0.1", port, 30):
            raise UnavailableError("moto server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
