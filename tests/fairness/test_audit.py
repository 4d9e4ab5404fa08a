"""The decision audit on real data: every metric equals Fairlearn's MetricFrame, COMPAS reproduces
ProPublica's published error rates, Ricci shows the four-fifths violation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.fairness import (
    AuditConfig,
    audit_decisions,
    benjamini_hochberg,
    holm,
    read_decisions,
)
from conftest import shared_file

fairlearn_metrics = pytest.importorskip("fairlearn.metrics")
sk = pytest.importorskip("sklearn.metrics")


@pytest.fixture(scope="module")
def compas() -> pd.DataFrame:
    return read_decisions(shared_file("fairness", "compas_for_aequitas.csv"))


@pytest.fixture(scope="module")
def compas_audit(compas: pd.DataFrame):
    config = AuditConfig(
        outcome="score",
        label="label_value",
        groups=("race", "sex", "age_cat"),
        reference="Caucasian",
        positive_is_favourable=False,
        bootstrap=400,
    )
    return audit_decisions(compas, config)


def _ratio(num, den):
    def f(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        n = num(y_true, y_pred).sum()
        d = den(y_true, y_pred).sum()
        return n / d

    return f


ORACLE = {
    "count": fairlearn_metrics.count,
    "selection_rate": fairlearn_metrics.selection_rate,
    "base_rate": lambda t, p: float(np.mean(t)),
    "tpr": fairlearn_metrics.true_positive_rate,
    "fpr": fairlearn_metrics.false_positive_rate,
    "fnr": fairlearn_metrics.false_negative_rate,
    "tnr": fairlearn_metrics.true_negative_rate,
    "ppv": lambda t, p: sk.precision_score(t, p, zero_division=np.nan),
    "npv": _ratio(lambda t, p: (t == 0) & (p == 0), lambda t, p: p == 0),
    "fdr": _ratio(lambda t, p: (t == 0) & (p == 1), lambda t, p: p == 1),
    "for": _ratio(lambda t, p: (t == 1) & (p == 0), lambda t, p: p == 0),
    "accuracy": sk.accuracy_score,
}


@pytest.mark.parametrize("attribute", ["race", "sex", "age_cat"])
def test_every_metric_equals_fairlearn(compas, compas_audit, attribute):
    frame = fairlearn_metrics.MetricFrame(
        metrics=ORACLE,
        y_true=compas["label_value"],
        y_pred=compas["score"],
        sensitive_features=compas[attribute],
    )
    checked = 0
    for group, row in frame.by_group.iterrows():
        for metric, expected in row.items():
            ours = compas_audit.value(attribute, str(group), metric)
            if pd.isna(expected):
                assert ours is None
            else:
                assert ours == pytest.approx(float(expected), abs=1e-9), (group, metric)
            checked += 1
    assert checked == len(frame.by_group) * len(ORACLE)


def test_intersection_equals_fairlearn_on_several_features(compas, compas_audit):
    frame = fairlearn_metrics.MetricFrame(
        metrics={"fpr": ORACLE["fpr"], "selection_rate": ORACLE["selection_rate"]},
        y_true=compas["label_value"],
        y_pred=compas["score"],
        sensitive_features=compas[["race", "sex"]],
    )
    audit = audit_decisions(
        compas,
        AuditConfig(outcome="score", label="label_value", groups=("race", "sex"), bootstrap=0),
    )
    for (race, sex), row in frame.by_group.iterrows():
        for metric in ("fpr", "selection_rate"):
            ours = audit.value("race × sex", f"{race} × {sex}", metric)
            assert ours == pytest.approx(float(row[metric]), abs=1e-9)


@pytest.mark.parametrize("attribute", ["race", "sex"])
def test_summaries_equal_fairlearn(compas, compas_audit, attribute):
    kw = {
        "y_true": compas["label_value"],
        "y_pred": compas["score"],
        "sensitive_features": compas[attribute],
    }
    for name in (
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equalized_odds_difference",
        "equalized_odds_ratio",
    ):
        expected = getattr(fairlearn_metrics, name)(**kw)
        s = compas_audit.summary(attribute, name)
        assert s.value == pytest.approx(expected, abs=1e-9), name
        assert s.low is not None and s.high is not None and s.low <= s.value <= s.high


def test_compas_reproduces_propublica(compas_audit):
    def pct(group, metric):
        return round(100 * compas_audit.value("race", group, metric), 2)

    assert pct("African-American", "fpr") == 44.85
    assert pct("Caucasian", "fpr") == 23.45
    assert pct("African-American", "fnr") == 27.99
    assert pct("Caucasian", "fnr") == 47.72
    d = compas_audit.disparity("race", "African-American", "fpr")
    assert d.reference == "Caucasian"
    assert d.ratio == pytest.approx(0.44846796657381616 / 0.23454301075268819)
    assert d.ratio_low is not None and 1.25 < d.ratio_low < d.ratio < d.ratio_high
    assert d.p_adjusted is not None and d.p_adjusted < 1e-6
    # the interval holds the point and is narrow on 3,696 people
    m = compas_audit.metric("race", "African-American", "fpr")
    assert m.low < m.value < m.high and m.high - m.low < 0.06
    texts = [f.text for f in compas_audit.findings if f.attribute == "race"]
    assert any("African-American" in t and "false positive rate" in t for t in texts)


def test_small_groups_warn_instead_of_concluding(compas_audit):
    # Native American defendants: 18 people — a warning, never a finding of disparity
    assert any("Native American" in w and "too few" in w for w in compas_audit.warnings)
    severe = [f for f in compas_audit.findings if f.severity != "warning"]
    assert not any(f.group == "Native American" for f in severe)
    warnings = [f for f in compas_audit.findings if f.severity == "warning"]
    assert warnings and all(f.rank > severe[-1].rank for f in warnings)


def test_auc_and_calibration_by_group(compas):
    audit = audit_decisions(
        compas,
        AuditConfig(
            score="score", threshold=0.5, label="label_value", groups=("sex",), bootstrap=200
        ),
    )
    for sex in ("Male", "Female"):
        part = compas[compas["sex"] == sex]
        expected = sk.roc_auc_score(part["label_value"], part["score"])
        m = audit.metric("sex", sex, "auc")
        assert m.value == pytest.approx(expected, abs=1e-12)
        assert m.low < m.value < m.high
    bins = [c for c in audit.calibration if c.group == "Male"]
    assert sum(c.count for c in bins) == int((compas["sex"] == "Male").sum())


def test_ricci_shows_the_four_fifths_violation():
    ricci = read_decisions(shared_file("fairness", "ricci.csv"))
    ricci["pass"] = ricci["Combine"] >= 70
    audit = audit_decisions(ricci, AuditConfig(outcome="pass", groups=("Race",), min_group_size=10))
    rates = ricci.groupby("Race")["pass"].mean()
    by_group = {r.group: r for r in audit.four_fifths}
    assert by_group["W"].impact_ratio == pytest.approx(1.0)
    for race in ("B", "H"):
        assert by_group[race].impact_ratio == pytest.approx(rates[race] / rates["W"])
        assert by_group[race].violation and by_group[race].impact_ratio < 0.8
    assert audit.findings[0].metric == "four_fifths"
    assert "Four-fifths rule" in audit.findings[0].text


def test_german_credit_runs_with_controls():
    german = read_decisions(shared_file("fairness", "german_credit.csv"))
    german["good"] = german["credit"] == 1
    german["age_band"] = pd.cut(german["age"], [0, 25, 45, 120], labels=["≤25", "26-45", "46+"])
    audit = audit_decisions(
        german,
        AuditConfig(outcome="good", groups=("age_band", "foreign_worker"), controls=("purpose",)),
    )
    young = audit.disparity("age_band", "≤25", "selection_rate")
    assert young.reference == "26-45"
    assert young.ratio is not None and young.ratio < 1
    assert young.adjusted_difference is not None
    assert audit.to_dict()["config"]["controls"] == ["purpose"]


def test_control_adjustment_removes_a_difference_explained_by_the_control():
    # selection depends only on the control; the groups differ in their mix of it
    rng = np.random.default_rng(1)
    n = 20_000
    group = rng.choice(["a", "b"], n)
    control = np.where(rng.random(n) < np.where(group == "a", 0.8, 0.2), "easy", "hard")
    selected = rng.random(n) < np.where(control == "easy", 0.7, 0.3)
    frame = pd.DataFrame({"g": group, "c": control, "y": selected})
    audit = audit_decisions(
        frame, AuditConfig(outcome="y", groups=("g",), controls=("c",), reference="a", bootstrap=0)
    )
    d = audit.disparity("g", "b", "selection_rate")
    assert d.difference == pytest.approx(-0.24, abs=0.03)
    assert d.adjusted_difference == pytest.approx(0.0, abs=0.03)


def test_bad_input_names_the_field(compas):
    with pytest.raises(InputError, match="no column 'colour'"):
        audit_decisions(compas, AuditConfig(outcome="score", groups=("colour",)))
    with pytest.raises(InputError, match="not a yes/no column"):
        audit_decisions(compas, AuditConfig(outcome="race", groups=("sex",)))
    with pytest.raises(ConfigurationError, match="threshold"):
        AuditConfig(score="score", groups=("sex",))
    with pytest.raises(InputError, match="reference"):
        audit_decisions(compas, AuditConfig(outcome="score", groups=("sex",), reference="Martian"))


def test_multiple_testing_adjustments_match_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = [0.01, 0.04, 0.03, 0.2, 0.001, None]
    given = [x for x in p if x is not None]
    for ours, method in ((holm(p), "holm"), (benjamini_hochberg(p), "fdr_bh")):
        expected = multitest.multipletests(given, method=method)[1]
        assert ours[-1] is None
        assert ours[:-1] == pytest.approx(list(expected))


def test_config_round_trips_through_its_stored_form():
    config = AuditConfig(
        score="s", threshold=0.7, label="y", groups=("g", "h"), controls=("c",), band=(0.7, 1.3),
        reference="favoured", positive_is_favourable=False, bootstrap=50,
    )  # fmt: skip
    assert AuditConfig.from_dict(config.to_dict()) == config


def test_an_arrow_table_is_audited_like_its_frame(compas):
    import pyarrow as pa

    config = AuditConfig(outcome="score", label="label_value", groups=("race",), bootstrap=20)
    a = audit_decisions(pa.Table.from_pandas(compas), config)
    b = audit_decisions(compas, config)
    assert a.to_dict() == b.to_dict()
