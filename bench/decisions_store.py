"""Storing a batch of decisions: 100,000 cases decided under a published rule set through the
application (role check, routing by automation level, every decision stored with its trace, ONE
ledger entry for the batch), against the peer path — the same cases stored one decision at a
time with ``decide_case`` (one transaction and one ledger entry each), measured on a sample and
scaled.

    PYTHONPATH=src python bench/decisions_store.py [--cases 100000] [--peer 1000]

A fresh SQLite database (production settings: WAL, default synchronous) in a temporary folder.
Prints the seconds, decisions per second, the ratio to the peer, and the time to verify the
batch's digest against the stored rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

ON = dt.date(2026, 3, 1)


def _cases(n: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    return [
        {
            "case_ref": f"C-{i}",
            "resident": "yes" if rng.random() < 0.93 else "no",
            "age": str(rng.randint(18, 90)),
            "household_size": str(rng.randint(1, 6)),
            "household_income": str(rng.randint(0, 4000)),
            "children": str(rng.randint(0, 3)),
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--peer", type=int, default=1_000, help="cases for the one-by-one peer")
    args = parser.parse_args()

    from civicflow.app import Role, accounts, open_app, workspaces
    from civicflow.app import decisions as rd
    from civicflow.core import Settings
    from civicflow.decisions import EXAMPLES

    with tempfile.TemporaryDirectory() as tmp:
        ctx = open_app(settings=Settings(home=Path(tmp) / "home"))
        ctx.upgrade()
        user = accounts.create_admin(ctx, email="admin@bench.test", password="x" * 12)
        admin = accounts.get_actor(ctx, user.id)
        ws = workspaces.create_workspace(ctx, actor=admin, name="bench", path=Path(tmp) / "ws")

        def member(role: Role, tag: str) -> object:
            u = accounts.create_user(ctx, actor=admin, email=f"{tag}@bench.test",
                                     display_name=tag, password=None)  # fmt: skip
            accounts.grant_role(ctx, actor=admin, workspace_id=ws.id, user_id=u.id, role=role)
            return accounts.get_actor(ctx, u.id)

        officer, other = member(Role.SERVICE_OWNER, "o1"), member(Role.SERVICE_OWNER, "o2")
        worker = member(Role.CASEWORKER, "cw")
        v = rd.draft_ruleset(
            ctx, actor=officer, workspace_id=ws.id,  # type: ignore[arg-type]
            text=(EXAMPLES / "social_support.yaml").read_text(),
            tests_text=(EXAMPLES / "social_support.tests.yaml").read_text(),
            automation="automatic", review_negative=True,
        )  # fmt: skip
        rd.submit_ruleset(ctx, actor=officer, workspace_id=ws.id, version_id=v.id)  # type: ignore[arg-type]
        rd.approve_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)  # type: ignore[arg-type]
        rd.publish_ruleset(ctx, actor=other, workspace_id=ws.id, version_id=v.id)  # type: ignore[arg-type]
        rows = _cases(args.cases)

        started = time.perf_counter()
        decided = sum(1 for _ in v.model().decide_many(
            [{k: x for k, x in r.items() if k != "case_ref"} for r in rows], on=ON))  # fmt: skip
        decide_only = time.perf_counter() - started

        started = time.perf_counter()
        batch = rd.decide_batch_cases(
            ctx, actor=worker, workspace_id=ws.id, ruleset="social_support", rows=rows,  # type: ignore[arg-type]
            on=ON, source="bench",
        )  # fmt: skip
        batch_seconds = time.perf_counter() - started
        assert batch.cases == decided == args.cases

        started = time.perf_counter()
        ok = rd.verify_batch(ctx, actor=admin, workspace_id=ws.id, batch_id=batch.id)
        verify_seconds = time.perf_counter() - started
        assert ok

        peer_rows = _cases(args.peer, seed=11)
        started = time.perf_counter()
        for r in peer_rows:
            rd.decide_case(
                ctx, actor=worker, workspace_id=ws.id, ruleset="social_support", on=ON,  # type: ignore[arg-type]
                inputs={k: x for k, x in r.items() if k != "case_ref"}, case_ref=r["case_ref"],
            )  # fmt: skip
        peer_seconds = time.perf_counter() - started
        peer_scaled = peer_seconds / args.peer * args.cases
        size = (Path(tmp) / "home" / "civicflow.db").stat().st_size
        ctx.close()

    print(f"cases: {args.cases:,} (statuses {batch.statuses})")
    print(f"decide only (traces + explanations, nothing stored): {decide_only:.2f} s")
    print(
        f"civicflow decide_batch_cases, stored + 1 ledger entry: {batch_seconds:.2f} s "
        f"({args.cases / batch_seconds:,.0f} decisions/s)"
    )
    print(f"verify_batch (digest of every stored decision): {verify_seconds:.2f} s")
    print(
        f"peer decide_case one at a time: {peer_seconds:.2f} s for {args.peer:,} "
        f"({peer_seconds / args.peer * 1000:.2f} ms each), scaled to {args.cases:,}: "
        f"{peer_scaled:.1f} s"
    )
    print(f"ratio (peer / civicflow): {peer_scaled / batch_seconds:.1f}x")
    print(f"database after both: {size / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
