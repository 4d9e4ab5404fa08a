"""Explanations of a scikit-learn pipeline on German credit: SHAP values add up to the score and
equal the closed form of a linear model; a counterfactual's value really changes the decision,
and only changeable features are moved."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from civicflow.core import ConfigurationError, InputError
from civicflow.fairness import ExplainConfig, ModelExplanation, explain_model
from conftest import shared_file

pytest.importorskip("shap")
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["month", "credit_amount", "age"]
CATEGORICAL = ["status", "savings", "purpose"]


@pytest.fixture(scope="module")
def german() -> tuple[pd.DataFrame, pd.Series]:
    df = pd.read_csv(shared_file("fairness", "german_credit.csv"))
    return df[CATEGORICAL + NUMERIC], (df["credit"] == 1).astype(int)


@pytest.fixture(scope="module")
def pipeline(german):  # type: ignore[no-untyped-def]
    x, y = german
    return make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), CATEGORICAL), (StandardScaler(), NUMERIC)
        ),
        LogisticRegression(max_iter=1000),
    ).fit(x, y)


CONFIG = ExplainConfig(
    changeable=("credit_amount", "month", "savings"),
    positive_words="granted",
    negative_words="refused",
    labels={"credit_amount": "amount asked", "month": "duration in months"},
    background=30,
)


@pytest.fixture(scope="module")
def explained(german, pipeline) -> ModelExplanation:  # type: ignore[no-untyped-def]
    x, _ = german
    return explain_model(pipeline, x, rows=[0, 1, 2, 3], config=CONFIG, global_sample=30)


def test_contributions_add_up_to_the_score(explained: ModelExplanation, german, pipeline) -> None:  # type: ignore[no-untyped-def]
    x, _ = german
    for d in explained.decisions:
        total = d.base_score + sum(f.contribution for f in d.factors)
        assert total == pytest.approx(d.score, abs=1e-9)
        assert d.score == pytest.approx(pipeline.predict_proba(x.iloc[[d.row]])[0, 1])
        assert d.decision == ("granted" if d.score >= 0.5 else "refused")
        assert "main factors" in d.text


def test_counterfactuals_change_the_decision_and_move_only_changeable_features(
    explained: ModelExplanation, german, pipeline
) -> None:  # type: ignore[no-untyped-def]
    x, _ = german
    seen = 0
    for d in explained.decisions:
        for c in d.counterfactuals:
            assert c.feature in CONFIG.changeable
            person = x.iloc[[d.row]].copy()
            person[c.feature] = c.new_value
            flipped = pipeline.predict_proba(person)[0, 1] >= 0.5
            assert flipped != (d.decision == "granted")
            if c.direction in ("below", "above"):
                # one unit less far does not change it: the boundary is the nearest value
                step = 1 if c.direction == "above" else -1
                person[c.feature] = c.new_value - step
                assert (pipeline.predict_proba(person)[0, 1] >= 0.5) == (d.decision == "granted")
            assert "would have been" in c.text
            seen += 1
    assert seen >= 2
    assert any(
        "duration in months were" in c.text for d in explained.decisions for c in d.counterfactuals
    )


def test_global_picture(explained: ModelExplanation) -> None:
    shares = [g.share for g in explained.global_factors]
    assert sum(shares) == pytest.approx(1.0)
    assert shares == sorted(shares, reverse=True)
    month = next(g for g in explained.global_factors if g.feature == "month")
    assert month.how == "A higher duration in months lowers the score."
    assert "depend mainly on" in explained.text
    assert explained.to_dict()["decisions"][0]["factors"]


def test_linear_model_has_the_closed_form(german) -> None:  # type: ignore[no-untyped-def]
    # log-odds of a standardised logistic regression: phi_j = w_j (x_j - mean_bg(x_j)) / s_j
    x, y = german
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x[NUMERIC], y)
    config = ExplainConfig(output="log_odds", background=40, seed=3)
    e = explain_model(model, x[NUMERIC], rows=[5, 6], config=config, global_sample=5)
    rng = np.random.default_rng(3)
    background = x[NUMERIC].iloc[rng.choice(len(x), size=40, replace=False)]
    scaler, lr = model[0], model[1]
    for d in e.decisions:
        for f in d.factors:
            j = NUMERIC.index(f.feature)
            expected = (
                lr.coef_[0, j]
                * (x[NUMERIC].iloc[d.row, j] - background.iloc[:, j].mean())
                / scaler.scale_[j]
            )
            assert f.contribution == pytest.approx(expected, abs=1e-9)


def test_clear_errors(german, pipeline) -> None:  # type: ignore[no-untyped-def]
    x, _ = german
    with pytest.raises(ConfigurationError, match="changeable feature 'status'"):
        explain_model(
            pipeline, x, config=ExplainConfig(features=("month",), changeable=("status",))
        )
    with pytest.raises(InputError, match="row 5000"):
        explain_model(pipeline, x, rows=[5000], config=CONFIG)
    with pytest.raises(InputError, match="positive class"):
        explain_model(pipeline, x, config=ExplainConfig(positive_class="yes", background=10))
