"""Run every benchmark module in its own process (so memory figures are its own) and print."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ORDER = ("bus_bench", "broker_bench", "ledger_bench", "collect_bench", "campaign_bench")
EXTRA_RUNS = {"collect_bench": (("--scale", "10"),)}  # how the collection's cost grows with the account


def main() -> int:
    here = Path(__file__).parent
    names = [n for n in ORDER if (here / f"{n}.py").exists()]
    names += sorted(p.stem for p in here.glob("*_bench.py") if p.stem not in names)
    if len(sys.argv) > 1:
        names = [n for n in names if any(a in n for a in sys.argv[1:])]
    runs = [(name, args) for name in names for args in ((), *EXTRA_RUNS.get(name, ()))]
    failed = []
    for name, args in runs:
        print(f"\n=== {' '.join((name, *args))} ===", flush=True)
        rc = subprocess.call([sys.executable, "-m", f"bench.{name}", *args], cwd=here.parent)
        if rc:
            failed.append(" ".join((name, *args)))
    if failed:
        print(f"\nbenchmarks that failed to run: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
