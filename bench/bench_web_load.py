"""Web load benchmark: concurrent users browsing the assessment of a 1-million-event workspace.

Builds a workspace whose dataset comes from the seeded demo generator (about 6.3 events per
case, so ``--events 1000000`` simulates ~160,000 cases), starts the workbench with
``civicflow serve`` in its own process, signs in a few accounts, then runs ``--users`` concurrent
virtual users (asyncio + httpx) for ``--seconds``. Each user loops: pick an assessment page (the
full page of a tab, or the HTMX fragment of a view, with one of a few filters), request it, think
for ``--think`` seconds. Before measuring, every page is requested once ("cold": the analysis
runs) - the measured phase is what people browsing a shared workspace see, with the analysis cache
keyed by (dataset fingerprint, filter, options) warm.

Usage (from the project root)::

    python bench/bench_web_load.py                        # 1M events, 100 users, 120 s
    python bench/bench_web_load.py --events 200000 --seconds 20 --users 20   # a quick look

Prints p50/p95/p99 latency, throughput and errors (any status >= 400 or transport error), and
writes them as JSON with ``--json``. Results go to docs/benchmarks.md "## Web load".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PASSWORD = "load-test password 2024"
TABS = ("map", "variants", "bottlenecks", "rework", "sla", "breakdown")
FILTERS = ("", "&min_days=10", "&attr=permit_type&attr_value=extension")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(home: Path, events: int, accounts: int) -> str:
    """A migrated database, a workspace with the demo dataset, and ``accounts`` analysts."""
    from civicflow.app import SYSTEM, open_app, workspaces
    from civicflow.app import accounts as acc
    from civicflow.core import Settings
    from civicflow.demo import DemoConfig, build_demo_workspace

    settings = Settings(home=home)
    ctx = open_app(settings=settings)
    ctx.upgrade()
    ws = workspaces.create_workspace(ctx, actor=SYSTEM, name="load")
    cases = max(100, round(events / 6.3))
    started = time.perf_counter()
    _, dataset = build_demo_workspace(path=ws.path, config=DemoConfig(cases=cases))
    print(
        f"workspace: {dataset.manifest.events:,} events, {dataset.manifest.cases:,} cases "
        f"(generated in {time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    for i in range(accounts):
        user = acc.create_user(
            ctx,
            actor=SYSTEM,
            email=f"analyst{i}@load.test",
            display_name=f"Analyst {i}",
            password=PASSWORD,
        )
        acc.grant_role(ctx, actor=SYSTEM, workspace_id=ws.id, user_id=user.id, role="analyst")
    ctx.close()
    return ws.id


def pages(workspace_id: str, dataset: str) -> list[str]:
    base = f"/w/{workspace_id}/assessment"
    out = []
    for f in FILTERS:
        for tab in TABS:
            out.append(f"{base}?dataset={dataset}&tab={tab}{f}")
            out.append(f"{base}/view/{tab}?dataset={dataset}{f}")
    return out


async def sign_in(client: Any, email: str) -> None:
    r = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert token, "no CSRF token on the sign-in page"
    r = await client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
    )
    assert r.status_code in (200, 303), f"sign-in failed: {r.status_code}"


async def run_load(
    base: str,
    urls: list[str],
    *,
    users: int,
    seconds: float,
    think: float,
    accounts: int,
    warm_copies: int = 1,
) -> dict[str, Any]:
    import httpx

    limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for _ in range(accounts)]
    for i, c in enumerate(clients):
        await sign_in(c, f"analyst{i}@load.test")

    # each server process keeps its own cache: warm every page several times over, concurrently,
    # so that every process has seen it (the first answer per process is the cold one)
    cold: list[float] = []

    async def warm(url: str) -> None:
        t = time.perf_counter()
        r = await clients[0].get(url)
        cold.append(time.perf_counter() - t)
        if r.status_code >= 400:
            raise SystemExit(f"warm-up request failed: {url} -> {r.status_code}\n{r.text[:500]}")

    for url in urls:
        await asyncio.gather(*(warm(url) for _ in range(warm_copies)))

    latencies: list[float] = []
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    async def user(n: int) -> None:
        rng = random.Random(n)
        client = clients[n % len(clients)]
        await asyncio.sleep(rng.random() * think)
        while time.perf_counter() < stop:
            url = rng.choice(urls)
            t = time.perf_counter()
            try:
                r = await client.get(url)
                if r.status_code >= 400:
                    errors.append(f"{r.status_code} {url}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {url}")
            latencies.append(time.perf_counter() - t)
            await asyncio.sleep(rng.random() * 2 * think)

    started = time.perf_counter()
    await asyncio.gather(*(user(n) for n in range(users)))
    elapsed = time.perf_counter() - started
    for c in clients:
        await c.aclose()

    q = (
        statistics.quantiles(latencies, n=100, method="inclusive")
        if len(latencies) > 1
        else [0.0] * 99
    )
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else 0.0,
        "errors": len(errors),
        "error_examples": errors[:5],
        "cold_pages": len(cold),
        "cold_median_ms": round(statistics.median(cold) * 1000, 1),
        "cold_max_ms": round(max(cold) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause between a user's requests (s)"
    )
    parser.add_argument(
        "--accounts", type=int, default=10, help="signed-in accounts the users share"
    )
    parser.add_argument(
        "--home", type=Path, help="folder for the workspace (default: a temporary one)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="civicflow-webload-"))
    workspace_id = build(home, args.events, args.accounts)
    port = _free_port()
    env = {
        **os.environ,
        "CIVICFLOW_HOME": str(home),
        "CIVICFLOW_SECRET_KEY": os.urandom(24).hex(),
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("civicflow")),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--insecure-cookies",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
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
        results = asyncio.run(
            run_load(
                base,
                pages(workspace_id, "demo"),
                users=args.users,
                seconds=args.seconds,
                think=args.think,
                accounts=args.accounts,
                warm_copies=4 * args.workers,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    results["events"] = args.events
    results["workers"] = args.workers
    print(json.dumps(results, indent=2))
    target = "met" if results["p95_ms"] < 300 and results["errors"] == 0 else "NOT met"
    print(f"target p95 < 300 ms with zero errors: {target}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
