"""Load test of the citizen assistant: 100 simulated citizens with locust against ``civicflow
serve`` on this machine.

Builds a workspace whose knowledge base holds the shared government FAQs (213 COVID entries and
2,261 scraped Q/A pairs, ``../shared/data/assistant``), enables the public assistant, starts the
server in its own process(es), then runs ``bench/locust_assistant.py`` headless. The per-client
rate limit is raised for the run (every simulated user comes from 127.0.0.1, one client address).

Usage (from the project root)::

    python bench/bench_assistant_load.py                       # 100 users, 60 s, 1 worker
    python bench/bench_assistant_load.py --users 100 --seconds 120 --workers 2

Prints requests, failures, throughput and p50/p95/p99 per request kind (locust's CSV).
Results go to docs/benchmarks.md "## Citizen assistant load".
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "assistant"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(home: Path) -> str:
    from civicflow.app import SYSTEM, open_app, workspaces
    from civicflow.app import assistant as aa
    from civicflow.core import Settings
    from civicflow.services import FaqColumns

    ctx = open_app(settings=Settings(home=home))
    ctx.upgrade()
    ws = workspaces.create_workspace(ctx, actor=SYSTEM, name="assistant-load")
    aa.import_knowledge(ctx, actor=SYSTEM, workspace_id=ws.id, path=DATA / "gov_covid_faq.csv",
                        columns=FaqColumns(url="link"))  # fmt: skip
    aa.import_knowledge(ctx, actor=SYSTEM, workspace_id=ws.id, path=DATA / "gov_faq_scraped.tsv",
                        columns=FaqColumns(url="sourceUrl"))  # fmt: skip
    aa.configure_assistant(ctx, actor=SYSTEM, workspace_id=ws.id, enabled=True)
    entries = len(aa.knowledge(ctx, actor=SYSTEM, workspace_id=ws.id).chunks)
    print(f"workspace {ws.id}: {entries:,} knowledge-base entries", flush=True)
    ctx.close()
    return ws.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="cf-assistant-load-"))
    workspace_id = build(home)
    port = _free_port()
    env = {
        **os.environ,
        "CIVICFLOW_HOME": str(home),
        "CIVICFLOW_SECRET_KEY": os.urandom(24).hex(),
        "CIVICFLOW_WEB_ASSISTANT_REQUESTS": "1000000",
        "CF_ASSISTANT_WORKSPACE": workspace_id,
    }
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen(
        [str(bin_dir / "civicflow"), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--insecure-cookies", "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    out = home / "locust"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    f"the server did not start:\n{server.stderr.read() if server.stderr else ''}"
                )
            time.sleep(0.2)
        # the first question builds the BM25 index in each server process (the "cold" request)
        started = time.perf_counter()
        for _ in range(2 * args.workers):
            httpx.post(f"{base}/api/v1/assistant/{workspace_id}/ask", json={"question": "masks"},
                       timeout=60)  # fmt: skip
        print(f"cold start (index build): {time.perf_counter() - started:.2f} s", flush=True)
        subprocess.run(
            [str(bin_dir / "locust"), "-f", str(ROOT / "bench" / "locust_assistant.py"),
             "--headless", "-u", str(args.users), "-r", str(args.spawn_rate),
             "-t", f"{args.seconds}s", "--host", base, "--csv", str(out), "--only-summary"],
            env=env, check=False,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=30)
    with (out.parent / "locust_stats.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    print("| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['Type']} {r['Name']} | {r['Request Count']} | {r['Failure Count']} | "
              f"{float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} | "
              f"{float(r['Max Response Time']):.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
