"""The model document: round trip, and errors that name the field; fitted distributions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sim_models import flow_model

from civicflow.core import ConfigurationError
from civicflow.planning import Distribution, ResourcePool, SimulationModel, fit_distribution


def small_model() -> SimulationModel:
    lognormal = Distribution(kind="lognorm", params={"sigma": 0.3, "median": 900})
    calendar = {"hours": {"mon": ["09:00", "17:00"]}, "timezone": "Europe/Brussels"}
    return flow_model(
        {"register": {"decide": 0.9, "END": 0.1}, "decide": {"END": 1.0}},
        mean_gap=600,
        durations={"register": lognormal, "decide": Distribution.fixed(300)},
        pools={"clerks": ResourcePool(size=2, calendar=calendar)},
        staffed={"register": "clerks", "decide": "clerks"},
        start=None,
    )


def broken(change) -> dict:
    data = small_model().to_dict()
    change(data)
    return data


def test_the_document_round_trips_through_json_and_a_file(tmp_path: Path) -> None:
    model = small_model()
    text = model.to_json(tmp_path / "model.json")
    assert SimulationModel.from_json(text) == model
    assert SimulationModel.from_json(tmp_path / "model.json") == model
    data = json.loads(text)
    assert data["schema_version"] == 1
    assert data["control_flow"]["transitions"][0]["from"] == "register"
    assert data["pools"]["clerks"]["calendar"]["hours"]["mon"] == ["09:00:00", "17:00:00"]
    assert data["pools"]["clerks"]["calendar"]["hours"]["tue"] is None
    assert len(data["arrivals"]["hour_of_week"]) == 168
    # hour-of-week rows of 24 numbers: a day a line
    assert "1.0, 1.0" in text


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        (
            lambda d: d["activities"]["register"]["duration"]["params"].pop("sigma"),
            "activities.register.duration",
            "needs params sigma, median",
        ),
        (
            lambda d: d["activities"]["register"]["duration"].update(kind="beta"),
            "activities.register.duration.kind",
            "'fixed'",
        ),
        (
            lambda d: d["control_flow"]["transitions"][0]["to"].update(decide=0.5),
            "control_flow.transitions[0].to",
            "add up to 1",
        ),
        (
            lambda d: d["control_flow"]["transitions"][1]["to"].update(
                {"END": 0.5, "archive": 0.5}
            ),
            "control_flow.transitions[1].to.archive",
            None,
        ),
        (lambda d: d["activities"]["decide"].update(pool="judges"), "activities.decide.pool", None),
        (
            lambda d: d["pools"]["clerks"].update(size=0),
            "pools.clerks.size",
            "greater than or equal to 1",
        ),
        (
            lambda d: d["pools"]["clerks"]["calendar"]["hours"].update(mon=["17:00", "09:00"]),
            "pools.clerks.calendar",
            "close before they open",
        ),
        (lambda d: d["arrivals"].update(hour_of_week=[1.0] * 24), "arrivals.hour_of_week", "168"),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone", "unknown time zone"),
        (
            lambda d: d["control_flow"]["transitions"].pop(1),
            "control_flow.transitions",
            "one row per activity",
        ),
        (lambda d: d.update(surprise=1), "surprise", "Extra inputs"),
    ],
)
def test_an_invalid_document_names_the_field(change, field, expected) -> None:
    with pytest.raises(ConfigurationError) as info:
        SimulationModel.from_dict(broken(change), file="model.json")
    err = info.value
    assert err.where is not None and err.where.field == field, err.describe()
    assert err.where.file == "model.json"
    if expected is not None:
        assert expected in (err.expected or ""), err.describe()
    assert err.fix


def test_another_schema_version_and_bad_json_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="schema version") as info:
        SimulationModel.from_dict(broken(lambda d: d.update(schema_version=2)))
    assert info.value.where.field == "schema_version"
    path = tmp_path / "bad.json"
    path.write_text('{\n  "schema_version": 1,\n  oops\n}')
    with pytest.raises(ConfigurationError, match="not valid JSON") as info:
        SimulationModel.from_json(path)
    assert info.value.where.line == 3


@pytest.mark.parametrize(
    ("frozen", "kind"),
    [
        (stats.expon(scale=600), "expon"),
        (stats.lognorm(0.5, scale=1200), "lognorm"),
        (stats.gamma(4.0, scale=300), "gamma"),
        (stats.weibull_min(2.5, scale=900), "weibull"),
        (stats.norm(loc=3600, scale=300), "norm"),
    ],
)
def test_fitting_picks_the_family_the_data_came_from(frozen, kind) -> None:
    data = frozen.rvs(size=4000, random_state=np.random.default_rng(1))
    fitted = fit_distribution(data)
    assert fitted.kind == kind, fitted.fit
    assert fitted.mean == pytest.approx(float(frozen.mean()), rel=0.05)
    assert fitted.fit is not None and fitted.fit.ks_statistic < 0.03
    drawn = fitted.sample(np.random.default_rng(2), 4000)
    assert stats.ks_2samp(drawn, data).pvalue > 0.001


def test_fitting_falls_back_to_empirical_and_fixed() -> None:
    rng = np.random.default_rng(3)
    bimodal = np.concatenate([rng.normal(60, 5, 2000), rng.normal(3600, 100, 2000)])
    fitted = fit_distribution(bimodal)
    assert fitted.kind == "empirical"
    assert fitted.mean == pytest.approx(bimodal.mean(), rel=0.02)
    drawn = fitted.sample(rng, 10_000)
    assert np.mean(drawn < 1000) == pytest.approx(0.5, abs=0.02)
    assert fit_distribution([120.0] * 50) == Distribution.fixed(120.0)
    assert fit_distribution([]) == Distribution.fixed(0.0)


def test_scaling_a_distribution_scales_its_mean() -> None:
    d = Distribution(kind="gamma", params={"shape": 2.0, "scale": 100.0})
    assert d.scaled(0.5).mean == pytest.approx(100.0)
    assert d.scaled(0.5).params["shape"] == 2.0
