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
    # a pilot's design: filters as JSON or a saved set's name, a baseline before the pilot
    "scope_filter": '{"steps": []}',
    "control_filter": "other-districts",
    "baseline_start": "2026-10-01",
    "baseline_end": "2026-12-31",
    "success_criteria.0.objective_id": "",  # an objective's id, when one exists
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
    # the columns are headed by their fields' labels, never a key ("Kpi", "baseline_value")
    headers = re.findall(r'<th scope="col" class="govuk-table__header">([^<]*)</th>', listed)
    assert headers[: len(kind.columns)] == [kind.header(c) for c in kind.columns]
    assert "Kpi" not in headers and not [h for h in headers if "_" in h]
    if slug == "objectives":  # and the values carry the KPI's unit
        assert "KPI" in headers
        assert ">12.50 days</td>" in listed and ">6.00 days</td>" in listed
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


# -- numbers out of range and blank titles: 422 naming the field, never a 500 -----------------

_OBJECTIVE = (
    '{"title": %s, "kpi": "throughput_median_days", "baseline_name": "b0", '
    '"baseline_value": %s, "target_value": %s, "direction": "decrease", "due_date": "2027-06-30"}'
)


def _writer_token(world: World) -> str:
    from datetime import timedelta

    from civicflow.app import SYSTEM, accounts
    from civicflow.core import utcnow

    user = next(
        u
        for u in accounts.list_users(world.ctx, actor=SYSTEM)
        if u.email == world.emails["service_owner"]
    )
    plaintext, _ = accounts.create_api_token(
        world.ctx,
        actor=accounts.get_actor(world.ctx, user.id),
        name="numbers",
        scopes=["workspace:read", "programme:write"],
        expires_at=utcnow() + timedelta(days=1),
    )
    return plaintext


@pytest.mark.parametrize(
    ("title", "baseline", "target", "field"),
    [
        ('"Huge"', "1e309", "20", "baseline_value"),  # JSON reads 1e309 as infinity
        ('"Minus infinity"', "40", "-Infinity", "target_value"),
        ('"Not a number"', "NaN", "20", "baseline_value"),
        ('"Absurd"', "40", "-1e300", "target_value"),
        ('"   "', "40", "20", "title"),
        ('"\\u3000\\t"', "40", "20", "title"),  # ideographic space and a tab: blank too
    ],
)
def test_the_api_refuses_infinite_absurd_and_blank_values_naming_the_field(
    sqlite_world: World, title: str, baseline: str, target: str, field: str
) -> None:
    client = TestClient(make_app(sqlite_world))
    url = f"/api/v1/workspaces/{sqlite_world.workspace_id}/objectives"
    auth = {"Authorization": f"Bearer {_writer_token(sqlite_world)}"}
    stored = client.get(url, headers=auth).json()
    r = client.post(
        url,
        content=_OBJECTIVE % (title, baseline, target),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text[:500]
    assert field in r.text
    assert client.get(url, headers=auth).json() == stored  # nothing stored


def test_the_schema_says_a_title_must_not_be_blank(sqlite_world: World) -> None:
    client = TestClient(make_app(sqlite_world))
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["ObjectiveCreate"]
    title = schema["properties"]["title"]
    assert title["minLength"] == 1
    # the pattern (a JSON-schema regex, unanchored) refuses exactly what stripping empties
    assert not re.search(title["pattern"], " \t\n\u3000\xa0\x85")
    assert re.search(title["pattern"], "  a ") and re.search(title["pattern"], "\ufeff")
    values = schema["properties"]["baseline_value"]
    assert values["maximum"] == 10**12 and values["minimum"] == -(10**12)


@pytest.mark.parametrize(
    ("slug", "field", "value"),
    [
        ("budget", "amount", "1e309"),
        ("budget", "amount", "Infinity"),
        ("budget", "amount", "NaN"),
        ("budget", "amount", "-1e400"),
        ("objectives", "baseline_value", "-Infinity"),
        ("objectives", "target_value", "1e309"),
        ("objectives", "baseline_value", "nan"),
        ("objectives", "title", " \t "),
        ("pilots", "success_criteria.0.target", "inf"),
    ],
)
def test_the_forms_refuse_infinite_and_blank_values_next_to_the_field(
    sqlite_world: World, slug: str, field: str, value: str
) -> None:
    client = TestClient(make_app(sqlite_world))
    token = sign_in(client, sqlite_world.emails["service_owner"])
    base = f"/w/{sqlite_world.workspace_id}/programme/{slug}"
    data = {f.name: _value(f) for f in KINDS[slug].fields}
    data[KINDS[slug].fields[0].name] = "Out of range"
    r = client.post(base, data={**data, field: value, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 422, r.text[-2000:]
    # the form comes back with the error next to its field, marked for assistive technology
    assert f'id="f-{field}"' in r.text
    marked = re.search(rf'<[^>]*id="f-{re.escape(field)}"[^>]*>', r.text)
    assert marked is not None and 'aria-invalid="true"' in marked.group(0)
    assert f'id="e-{field}"' in r.text
    assert "Out of range" not in client.get(base).text
