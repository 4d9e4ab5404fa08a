"""The Inductive Miner: cuts and fall-throughs worked out by hand, the net and BPMN it converts to,
and PM4Py (the test oracle) on the real Receipt and Sepsis logs.

What is compared with PM4Py: the discovered tree itself (equal up to the order of the children of
exclusive choices and parallel blocks, which neither tool fixes), for IM (noise 0) and IMf (noise
0.2); and on Receipt, token-based fitness and precision of each tool's net from its own tree.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from civicflow.core import ConfigurationError
from civicflow.eventlog import DuckDBEngine
from civicflow.mining import (
    ConformanceConfig,
    InductiveConfig,
    LogView,
    ProcessTree,
    conformance,
    discover_process_tree,
    escaping_edges_precision,
    inductive_miner,
    read_bpmn,
    workflow_net,
)
from civicflow.mining._replay import align
from realdata import pm4py_frame, real_dataset

RECEIPT = "Receipt_phase_environmental_permit_WABO"
SEPSIS = "Sepsis_Cases-Event_Log"


def _log(*traces: str, counts: list[int] | None = None) -> dict[tuple[str, ...], int]:
    out: Counter[tuple[str, ...]] = Counter()
    for k, t in enumerate(traces):
        out[tuple(t)] += counts[k] if counts else 1
    return dict(out)


# --- by hand ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("traces", "expected"),
    [
        (["abc"], "->( 'a', 'b', 'c' )"),
        (["ab", "ac"], "->( 'a', X( 'b', 'c' ) )"),
        (["abcd", "acbd"], "->( 'a', +( 'b', 'c' ), 'd' )"),
        (["abd", "abcbd"], "->( 'a', *( 'b', 'c' ), 'd' )"),
        (["ab", "b"], "->( X( tau, 'a' ), 'b' )"),
        (["a", "b"], "X( 'a', 'b' )"),
        (["", "a"], "X( tau, 'a' )"),
        (["a", "aa", "aaa"], "*( 'a', tau )"),
    ],
)
def test_cuts_by_hand(traces: list[str], expected: str) -> None:
    tree = inductive_miner(_log(*traces), noise_threshold=0.0)
    assert str(tree) == expected


def test_fall_throughs_by_hand() -> None:
    # no cut: 'a' and 'b' each repeat, one of them may be missing -> each concurrent to the other
    t = inductive_miner(_log("ab", "ba", "abab", "bb", "aa"), noise_threshold=0.0)
    assert str(t) == "+( X( tau, *( 'a', tau ) ), X( tau, *( 'b', tau ) ) )"
    # a repeated block with no loop cut: tau loop
    t = inductive_miner(_log("abcdab", "cdabcd", "ab"), noise_threshold=0.0)
    assert t.canonical() == "*( X( ->( 'a', 'b' ), ->( 'c', 'd' ) ), tau )"


def test_every_trace_fits_im() -> None:
    log = _log("ab", "ba", "abab", "bb", "aa", "abc", "cab", "", "cc", "acbca")
    net = inductive_miner(log, noise_threshold=0.0).to_workflow_net()
    for trace in log:
        assert align(net, trace, max_states=100_000).deviations == 0, trace


def test_random_logs_equal_pm4py() -> None:
    """Small random logs exercise every cut and fall-through; the trees equal PM4Py's."""
    pm4py = pytest.importorskip("pm4py")
    import random

    rng = random.Random(7)
    for _ in range(30):
        log: Counter[tuple[str, ...]] = Counter()
        for _ in range(rng.randint(1, 8)):
            trace = tuple(rng.choice("abcde") for _ in range(rng.randint(0, 6)))
            log[trace] += rng.randint(1, 20)
        rows = [
            {
                "case:concept:name": f"{k}-{j}",
                "concept:name": a,
                "time:timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(minutes=i),
            }
            for k, (trace, n) in enumerate(log.items())
            for j in range(n)
            for i, a in enumerate(trace)
        ]
        if not rows:
            continue
        frame = pd.DataFrame(rows)
        # PM4Py's frame cannot hold an empty case; keep logs without them for the comparison
        if () in log:
            del log[()]
        for noise in (0.0, 0.2):
            theirs = _from_pm4py(
                pm4py.discover_process_tree_inductive(frame, noise_threshold=noise)
            )
            mine = inductive_miner(log, noise_threshold=noise)
            assert mine.canonical() == theirs.canonical(), (dict(log), noise)
            if noise == 0.0:
                net = mine.to_workflow_net()
                for trace in log:
                    assert align(net, trace, max_states=200_000).deviations == 0


def test_infrequent_behaviour_is_filtered() -> None:
    log = _log("abc", "acb", "abd", counts=[50, 50, 1])
    assert str(inductive_miner(log, noise_threshold=0.0)) == (
        "->( 'a', X( +( 'b', 'c' ), ->( 'b', 'd' ) ) )"
    ) or "'d'" in str(inductive_miner(log, noise_threshold=0.0))
    assert (
        str(inductive_miner(log, noise_threshold=0.2)) == "->( 'a', +( 'b', 'c' ), X( tau, 'd' ) )"
    )


def test_config_is_checked() -> None:
    with pytest.raises(ConfigurationError, match="noise threshold"):
        InductiveConfig(noise_threshold=1.5)


def test_precision_by_hand() -> None:
    # the model allows b and c in any order after a; the log shows only b then c
    tree = inductive_miner(_log("abcd", "acbd"), noise_threshold=0.0)
    net = tree.to_workflow_net()
    assert escaping_edges_precision(net, _log("abcd", "acbd")) == 1.0
    # prefixes <> (allows a), a (allows b, c; log shows b), ab (c), abc (d): 1 escaping of 5
    assert escaping_edges_precision(net, _log("abcd")) == pytest.approx(0.8)


def test_bpmn_round_trip(tmp_path: Path) -> None:
    tree = inductive_miner(_log("abcd", "acbd", "abcbcd", "ae", "aed", ""), noise_threshold=0.0)
    xml = tree.to_bpmn()
    assert "BPMNShape" in xml and "BPMNEdge" in xml and "di:waypoint" in xml
    path = tmp_path / "d.bpmn"
    path.write_text(xml)
    model = read_bpmn(path)
    assert set(model.activities) == set("abcde")
    # the BPMN allows exactly what the tree allows: the same traces fit both nets
    via_bpmn = workflow_net(model)
    direct = tree.to_workflow_net()
    for trace in [("a", "b", "c", "d"), ("a", "c", "b", "d"), ("a", "b", "c", "b", "c", "d"), ()]:
        assert align(via_bpmn, trace, max_states=50_000).deviations == 0
        assert align(direct, trace, max_states=50_000).deviations == 0
    for trace in [("a", "d", "b"), ("b",), ("a", "b", "b", "d")]:
        assert align(via_bpmn, trace, max_states=50_000).deviations == (
            align(direct, trace, max_states=50_000).deviations
        )


# --- real logs, against PM4Py ----------------------------------------------------------------


def _from_pm4py(t: Any) -> ProcessTree:
    from pm4py.objects.process_tree.obj import Operator

    ops = {
        Operator.SEQUENCE: "seq",
        Operator.XOR: "xor",
        Operator.PARALLEL: "and",
        Operator.LOOP: "loop",
    }
    if t.operator is None:
        return ProcessTree(label=t.label)
    return ProcessTree(ops[t.operator], children=tuple(_from_pm4py(c) for c in t.children))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def engine() -> Any:
    e = DuckDBEngine()
    yield e
    e.close()


def _view(engine: DuckDBEngine, name: str) -> tuple[LogView, pd.DataFrame]:
    frame = pm4py_frame(name)
    return LogView(engine=engine, dataset=real_dataset(name)), frame


@pytest.mark.parametrize("name", [RECEIPT, SEPSIS])
@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_tree_equals_pm4py(engine: DuckDBEngine, name: str, noise: float) -> None:
    pm4py = pytest.importorskip("pm4py")
    view, frame = _view(engine, name)
    mine = discover_process_tree(view, config=InductiveConfig(noise_threshold=noise))
    theirs = _from_pm4py(pm4py.discover_process_tree_inductive(frame, noise_threshold=noise))
    assert mine.canonical() == theirs.canonical()
    if noise == 0.0:  # IMf may leave out activities that only rare behaviour brings
        assert mine.activities == set(frame["concept:name"].dropna())


def test_im_fits_every_case_of_sepsis(engine: DuckDBEngine) -> None:
    view, _ = _view(engine, SEPSIS)
    tree = discover_process_tree(view, config=InductiveConfig(noise_threshold=0.0))
    result = conformance(
        view, net=tree.to_workflow_net(), config=ConformanceConfig(method="token_replay")
    )
    assert result.cases == 1050
    assert result.fitness == 1.0
    assert result.fitting_cases == result.cases
    assert not result.deviations
    assert result.precision is not None and 0 < result.precision < 1


def test_receipt_fitness_and_precision_against_pm4py(engine: DuckDBEngine) -> None:
    # IMf at PM4Py's usual 0.2 (noise 0 and the other logs: bench/bench_inductive.py)
    noise = 0.2
    pm4py = pytest.importorskip("pm4py")
    view, frame = _view(engine, RECEIPT)
    tree = discover_process_tree(view, config=InductiveConfig(noise_threshold=noise))
    result = conformance(
        view, net=tree.to_workflow_net(), config=ConformanceConfig(method="token_replay")
    )
    pn, im, fm = pm4py.convert_to_petri_net(
        pm4py.discover_process_tree_inductive(frame, noise_threshold=noise)
    )
    fitness = pm4py.fitness_token_based_replay(frame, pn, im, fm)["log_fitness"]
    precision = pm4py.precision_token_based_replay(frame, pn, im, fm)
    assert result.fitness == pytest.approx(fitness, abs=0.02)
    assert result.precision is not None
    assert result.precision == pytest.approx(precision, abs=0.02)


# --- the command line ------------------------------------------------------------------------


def test_cli_discover_and_conformance_against_it(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from civicflow.cli import app

    dataset = real_dataset(RECEIPT)
    ws, name = str(dataset.path.parents[1]), dataset.name
    runner = CliRunner()
    bpmn, pnml = tmp_path / "m.bpmn", tmp_path / "m.pnml"
    out = runner.invoke(
        app,
        [
            "discover",
            "-w",
            ws,
            "-d",
            name,
            "--noise",
            "0",
            "--bpmn",
            str(bpmn),
            "--pnml",
            str(pnml),
            "--json",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["tree"].startswith("->( 'Confirmation of receipt'")
    assert len(data["activities"]) == 27
    assert set(read_bpmn(bpmn).activities) == set(data["activities"])
    assert "<pnml>" in pnml.read_text()
    # the same model as the reference: noise 0 fits every case
    out = runner.invoke(
        app,
        [
            "conformance",
            "-w",
            ws,
            "-d",
            name,
            "--discovered",
            "--noise",
            "0",
            "--json",
            "--method",
            "token_replay",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["fitness"] == 1.0 and data["fitting_cases"] == 1434
    assert 0 < data["precision"] < 1
    table = runner.invoke(
        app, ["conformance", "-w", ws, "-d", name, "--discovered", "--method", "token_replay"]
    )
    assert table.exit_code == 0, table.output
    assert "precision" in table.stdout
    neither = runner.invoke(app, ["conformance", "-w", ws, "-d", name])
    assert neither.exit_code != 0
    assert "--discovered" in (neither.output + str(neither.exception))
