"""Every kind of programme page (one description each in ``web/_programme_forms.py``) lists,
creates and edits its items through the application layer, which writes the ledger."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from civicflow.web._programme_forms import KINDS, Field

from .conftest import World, make_app, sign_in

# values a field of each kind accepts; per-field where the field has rules of its own
_BY_KIND = {
    "text": "Probe text",
    "textarea": "Probe paragraph.",
    "number": "12.5",
    "date": "2027-01-15",
}
_BY_NAME = {
    "kpi": "throughput_median_days",
    "success_criteria.0.kpi": "throughput_median_days",
    "currency": "EUR",
    "direction": "decrease",
    "success_criteria.0.direction": "decrease",
    "end_date": "2027-06-30",
    "period": "",
    "recurrence": "one_off",
    "target_value": "6",  # below the baseline value: the direction is "decrease"
}


def _value(field: Field) -> str:
    if field.name in _BY_NAME:
        return _BY_NAME[field.name]
    if field.kind == "select":
        return field.choices[0]
    if field.maximum is not None and field.step == "1":
        return field.maximum  # a 1-5 scale
    return _BY_KIND[field.kind]


@pytest.mark.parametrize("slug", sorted(KINDS))
def test_each_programme_page_creates_and_edits_its_items(sqlite_world: World, slug: str) -> None:
    kind = KINDS[slug]
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["service_owner"])
    base = f"/w/{sqlite_world.workspace_id}/programme/{slug}"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/new").status_code == 200

    data: dict[str, Any] = {f.name: _value(f) for f in kind.fields}
    title_field = kind.fields[0].name
    data[title_field] = f"First {kind.singular}"
    r = client.post(base, data={**data, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text[-2000:]
    listed = client.get(base).text
    assert f"First {kind.singular}" in listed
    item_id = re.search(rf'href="{base}/(?!new")([^"/]+)"', listed)
    assert item_id is not None, listed[-2000:]

    edit = client.get(f"{base}/{item_id.group(1)}")
    assert edit.status_code == 200 and f"First {kind.singular}" in edit.text
    r = client.post(
        f"{base}/{item_id.group(1)}",
        data={**data, title_field: f"Renamed {kind.singular}", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[-2000:]
    assert f"Renamed {kind.singular}" in client.get(base).text

    # a required field left empty: the form comes back with the error, nothing is stored
    required = next(f for f in kind.fields if f.required and f.kind in ("text", "textarea"))
    r = client.post(
        base,
        data={**data, title_field: "Never stored", required.name: "", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 422
    assert "Never stored" not in client.get(base).text

    ledger = client.get(f"/w/{sqlite_world.workspace_id}/ledger").text
    assert f"{kind.app.name}.create" in ledger or f"{kind.app.name}.update" in ledger
