"""A broken upload is a clear 4xx that leaves nothing behind: a truncated ``.xes.gz``, a XES with
a DTD, malformed XML in the first events, a compression bomb. Before, each was a 500 from the
preview (or from the ingest), and the file stayed in ``uploads/``."""

from __future__ import annotations

import gzip
import re

import pytest
from fastapi.testclient import TestClient
from tests.eventlog.test_ingest_limits import HEAD
from tests.eventlog.test_ingest_limits import _events as _trace

from .conftest import World, make_app, sign_in


def _uploads(world: World) -> list:
    folder = world.settings.home / "uploads" / world.workspace_id
    return sorted(folder.iterdir()) if folder.exists() else []


def _upload(client: TestClient, world: World, token: str, name: str, body: bytes):
    return client.post(
        f"/w/{world.workspace_id}/datasets/upload?filename={name}&name=broken",
        content=body,
        headers={"X-CSRF-Token": token, "Content-Type": "application/octet-stream"},
    )


BROKEN_AT_THE_START = {
    "dtd.xes": (
        b'<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>\n'
        b'<log xes.version="1.0">\n' + _trace("&b;", 3) + b"</log>\n",
        "declares a document type",
        "line 2",
    ),
    "malformed.xes": (
        HEAD
        + b'<trace><string key="concept:name" value="c1"/>\n'
        + b'<event><string key="concept:name" value="a"></event>\n</trace></log>\n',
        "not well-formed XML",
        "line 4",
    ),
    "cut.xes.gz": (
        gzip.compress(HEAD + _trace("c1", 3) + b"</log>\n")[:80],
        "truncated?",
        "cut.xes.gz",
    ),
    "padded.xes.gz": (
        HEAD + b"<trace>" + b" " * (40 << 20),
        "not well-formed XML",
        "padded.xes",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN_AT_THE_START))
def test_an_unreadable_upload_is_refused_by_the_preview_and_removed(
    sqlite_world: World, name: str
) -> None:
    body, what, where = BROKEN_AT_THE_START[name]
    if name.startswith("padded"):
        body = gzip.compress(body, 1)
    client = TestClient(make_app(sqlite_world), raise_server_exceptions=False)
    token = sign_in(client, sqlite_world.emails["analyst"])
    before = _uploads(sqlite_world)
    r = _upload(client, sqlite_world, token, name, body)
    assert r.status_code == 422, r.text[:800]
    assert what in r.text and where in r.text
    assert ">Fix</dt>" in r.text
    assert _uploads(sqlite_world) == before, "the refused upload is not kept"


def test_a_xes_gz_truncated_after_its_first_events_is_refused_at_ingest_and_removed(
    sqlite_world: World,
) -> None:
    whole = gzip.compress(HEAD + b"".join(_trace(f"c{i}", 200) for i in range(1000)) + b"</log>\n")
    client = TestClient(make_app(sqlite_world), raise_server_exceptions=False)
    token = sign_in(client, sqlite_world.emails["analyst"])
    before = _uploads(sqlite_world)
    r = _upload(client, sqlite_world, token, "half.xes.gz", whole[: len(whole) // 2])
    assert r.status_code == 200, r.text[:800]  # the first 10 MB preview well
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', r.text).group(1)
    r = client.post(
        f"/w/{sqlite_world.workspace_id}/datasets",
        data={
            "csrf_token": token,
            "upload_id": upload_id,
            "name": "half",
            "case_id": "case:concept:name",
            "activity": "concept:name",
            "timestamp": "time:timestamp",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422, r.text[:800]
    assert "truncated" in r.text and "half.xes.gz" in r.text
    assert _uploads(sqlite_world) == before, "no mapping fixes a truncated file: it is removed"
    from civicflow.app import SYSTEM, workspaces

    store = workspaces.get_workspace(
        sqlite_world.ctx, actor=SYSTEM, workspace_id=sqlite_world.workspace_id
    ).store()
    assert "half" not in store.dataset_names()
    assert [p.name for p in store.datasets_dir.iterdir() if p.name.startswith(".")] == []
