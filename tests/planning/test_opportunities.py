"""Automation opportunities on the demo log: the decision tree finds the generator's own rules
(civicflow/demo/_generator.py: simple permits take the fast track, monuments need advice), the
signals match counts made independently from the raw events, and weights reorder the ranking."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pytest

from civicflow.core import ConfigurationError
from civicflow.demo import DemoConfig, build_demo_workspace, simulate_demo
from civicflow.demo._generator import ASSESS, CHECK, FAST_TRACK, REQUEST_ADVICE, SUBMIT
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import LogView
from civicflow.planning import (
    Opportunities,
    OpportunityConfig,
    OpportunityWeights,
    automation_opportunities,
)

DEMO = DemoConfig(cases=3000, seed=5)


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> Opportunities:
    _ws, ds = build_demo_workspace(path=tmp_path_factory.mktemp("opp") / "ws", config=DEMO)
    view = LogView(engine=DuckDBEngine(), dataset=ds)
    return automation_opportunities(view, OpportunityConfig(exclude_attributes=("outcome",)))


def test_the_tree_finds_the_fast_track_rule(ranked: Opportunities) -> None:
    check = ranked.get(CHECK).decision
    assert set(check.branches) == {ASSESS, FAST_TRACK, "Request missing documents"}
    assert check.accuracy is not None and check.accuracy > check.majority_share + 0.1
    assert check.rule_likeness > 0.2
    fast = [line for line in check.rule if f"→ {FAST_TRACK}" in line]
    # the generator's rule: tree felling and dormer (the simple permits) take the fast track
    assert any("permit_type is tree felling" in line for line in fast)
    assert any("permit_type is dormer" in line for line in fast)
    assert any("none of dormer, tree felling" in line and ASSESS in line for line in check.rule)
    assess = ranked.get(ASSESS).decision
    assert any("permit_type is monument" in line and REQUEST_ADVICE in line for line in assess.rule)
    evidence = ranked.get(CHECK).signal("rule").evidence
    assert "permit_type" in evidence and "most common" in evidence


def test_a_step_always_followed_by_the_same_one_is_no_decision(ranked: Opportunities) -> None:
    submit = ranked.get(SUBMIT).decision
    assert submit.accuracy is None and submit.rule_likeness == 0.0
    assert submit.note == f"no decision: always followed by {CHECK}"
    # an attribute recorded at the end (the outcome) was left out, as asked
    assert "outcome" not in ranked.get(CHECK).decision.attributes
    assert "permit_type" in ranked.get(CHECK).decision.attributes


def test_signals_agree_with_counts_from_the_raw_events(ranked: Opportunities) -> None:
    events = simulate_demo(config=DEMO).events
    for opportunity in ranked.opportunities:
        mask = pc.equal(events.column("activity"), opportunity.activity)
        rows = events.filter(mask)
        assert opportunity.signal("volume").value == rows.num_rows
        people = len({r for r in rows.column("resource").to_pylist() if r is not None})
        assert opportunity.signal("people").value == people
    top = max(o.signal("volume").value or 0 for o in ranked.opportunities)
    assert ranked.get(CHECK).signal("volume").score == pytest.approx(
        (ranked.get(CHECK).signal("volume").value or 0) / top
    )
    # the score is the weighted mean of the signals, shown with its weights
    o = ranked.get(ASSESS)
    w = ranked.weights.as_dict()
    assert o.score == pytest.approx(
        100 * sum(s.score * w[s.name] for s in o.signals) / sum(w.values()), abs=0.01
    )
    assert {s.analysis for s in o.signals} <= {"activities", "rework", "resources", "variants"}


def test_changing_the_weights_reorders(ranked: Opportunities) -> None:
    assert ranked.ranking[0] == ASSESS  # the bottleneck: most handling and waiting
    only_rules = ranked.rescore(
        OpportunityWeights(
            volume=0, handling=0, waiting=0, rework=0, consistency=0, people=0, rule=1
        )
    )
    assert only_rules.ranking[0] == CHECK  # the most rule-like decision
    only_volume = ranked.rescore(
        OpportunityWeights(
            volume=1, handling=0, waiting=0, rework=0, consistency=0, people=0, rule=0
        )
    )
    assert only_volume.ranking[0] == CHECK  # checked again after every new document
    assert only_volume.ranking != ranked.ranking
    assert only_volume.get(CHECK).score == 100.0


def test_bad_weights_and_attributes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        OpportunityWeights(volume=-1)
    assert info.value.where is not None and info.value.where.field == "volume"
    with pytest.raises(ConfigurationError):
        OpportunityWeights(
            volume=0, handling=0, waiting=0, rework=0, consistency=0, people=0, rule=0
        )
    _ws, ds = build_demo_workspace(path=tmp_path / "ws", config=DemoConfig(cases=200, seed=1))
    view = LogView(engine=DuckDBEngine(), dataset=ds)
    with pytest.raises(ConfigurationError) as info:
        automation_opportunities(view, OpportunityConfig(attributes=("colour",)))
    assert info.value.found == "colour"


def _runs(n: int) -> dict[tuple[str, ...], tuple[int, set[str]]]:
    """Contiguous runs of ``n`` activities counted from the raw events, per case in time order."""
    events = simulate_demo(config=DEMO).events.to_pylist()
    traces: dict[str, list[tuple[object, int, str, str | None]]] = {}
    for i, e in enumerate(events):
        traces.setdefault(e["case_id"], []).append(
            (e["timestamp"], i, e["activity"], e["resource"])
        )
    out: dict[tuple[str, ...], tuple[int, set[str]]] = {}
    for case, trace in traces.items():
        acts = [a for _, _, a, _ in sorted(trace, key=lambda t: (t[0], t[1]))]
        for i in range(len(acts) - n + 1):
            key = tuple(acts[i : i + n])
            count, cases = out.get(key, (0, set()))
            out[key] = (count + 1, cases | {case})
    return out


def test_frequent_sequences_are_scored_on_the_same_evidence(ranked: Opportunities) -> None:
    assert ranked.sequences, "the demo has frequent sequences"
    runs = {**_runs(2), **_runs(3)}
    for seq in ranked.sequences:
        assert seq.is_sequence and len(seq.steps) in (2, 3)
        assert seq.activity == " → ".join(seq.steps)
        count, cases = runs[seq.steps]
        assert seq.signal("volume").value == count
        assert len(cases) / DEMO.cases >= 0.05  # the default minimum share of cases
        assert [s.name for s in seq.signals] == [s.name for s in ranked.opportunities[0].signals]
        assert all(s.evidence and 0.0 <= s.score <= 1.0 for s in seq.signals)
    # the ten most frequent qualifying runs, loops on one activity left to rework
    qualifying = sorted(
        (-c, k) for k, (c, cs) in runs.items() if len(set(k)) > 1 and len(cs) >= 150
    )
    assert {s.steps for s in ranked.sequences} == {k for _, k in qualifying[:10]}
    # every case starts with a submission then the completeness check
    first = ranked.get(f"{SUBMIT} → {CHECK}")
    assert first.signal("volume").value == DEMO.cases
    assert first.signal("rework").value == 0.0
    # the decision after a sequence is the one after its last step, on its runs only: the fast
    # track rule shows again after submission → check
    assert any(
        "permit_type is dormer" in line and FAST_TRACK in line for line in first.decision.rule
    )
    # the check → assess hand-over is where the queue is: more waiting than any step alone but one
    seq = ranked.get(f"{CHECK} → {ASSESS}")
    assert seq.signal("waiting").score > 0.5
    assert ranked.combined[0].score >= ranked.combined[-1].score
    # the same evidence under other weights
    only_waiting = ranked.rescore(
        OpportunityWeights(
            volume=0, handling=0, waiting=1, rework=0, consistency=0, people=0, rule=0
        )
    )
    assert {s.activity for s in only_waiting.sequences} == {s.activity for s in ranked.sequences}
    assert only_waiting.get(seq.activity).score == pytest.approx(
        100 * seq.signal("waiting").score, abs=0.01
    )


def test_sequence_settings_are_checked() -> None:
    with pytest.raises(ConfigurationError) as info:
        OpportunityConfig(sequence_lengths=(1, 2))
    assert info.value.where is not None and info.value.where.field == "sequence_lengths"
    with pytest.raises(ConfigurationError) as info:
        OpportunityConfig(min_sequence_share=0)
    assert info.value.where is not None and info.value.where.field == "min_sequence_share"
