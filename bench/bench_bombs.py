"""Peak memory and time of civicflow refusing hostile compressed event logs.

Each bomb is a small ``.xes.gz`` that expands to gigabytes: an unclosed trace padded with spaces or
zeros (2 GiB from 2 MB), and a log whose padding exceeds the expansion ratio. Each ingest runs in a
fresh child process, which reports its own peak resident memory (``VmHWM``; ``ru_maxrss`` survives
``exec`` on Linux and would report this script instead).

    python bench/bench_bombs.py
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n'
CHILD = """
import json, sys
from pathlib import Path
from civicflow.core import CivicflowError
from civicflow.eventlog import EventStore, ingest
out = {}
try:
    ingest(workspace=EventStore.create(Path(sys.argv[2])), source=Path(sys.argv[1]), name="d")
    out["outcome"] = "ingested"
except CivicflowError as exc:
    out["outcome"] = type(exc).__name__ + ": " + exc.to_dict()["what"]
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")]
out["peak_mb"] = int(hwm[0].split()[1]) // 1024
print(json.dumps(out))
"""


def bomb(path: Path, head: bytes, filler: bytes, members: int, tail: bytes = b"") -> Path:
    """``head``, then ``members`` gzip members of ``filler`` (16 MiB each), then ``tail``."""
    block = gzip.compress(filler * (16 << 20), compresslevel=9)
    with path.open("wb") as fh:
        fh.write(gzip.compress(head))
        for _ in range(members):
            fh.write(block)
        if tail:
            fh.write(gzip.compress(tail))
    return path


def main() -> None:
    trace = HEAD + b'<trace><string key="concept:name" value="c1"/>\n'
    cases = [
        ("unclosed trace + 2 GiB of spaces", trace, b" ", {}),
        ("unclosed trace + 2 GiB of zeros", trace, b"\0", {}),
        ("2 GiB beyond the expansion ratio", trace, b" ",
         {"CIVICFLOW_INGEST_MAX_ELEMENT_BYTES": str(1 << 30)}),
    ]  # fmt: skip
    print(f"{'bomb':36} {'file':>10} {'peak':>8} {'time':>7}  outcome")
    for label, head, filler, env in cases:
        with tempfile.TemporaryDirectory() as tmp:
            source = bomb(Path(tmp) / "bomb.xes.gz", head, filler, 128)
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, str(source), str(Path(tmp) / "ws")],
                capture_output=True, text=True, timeout=600,
                env={**os.environ, "PYTHONPATH": str(SRC), **env},
            )  # fmt: skip
            elapsed = time.perf_counter() - started
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            size = source.stat().st_size / 1e6
            print(
                f"{label:36} {size:8.1f} MB {result['peak_mb']:5d} MB {elapsed:6.1f}s  "
                f"{result['outcome']}"
            )


if __name__ == "__main__":
    main()
