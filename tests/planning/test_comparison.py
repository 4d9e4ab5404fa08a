"""Scenario comparison over replications: the measures agree with queueing theory, the intervals
are Student's t, differences are paired, and the summary says what clearly changes."""

from __future__ import annotations

import json
import math
import statistics

import pytest
from scipy import stats
from sim_models import single_queue

from civicflow.core import ConfigurationError
from civicflow.planning import (
    AS_IS,
    ActivityDuration,
    ComparisonConfig,
    Estimate,
    Scenario,
    ScenarioComparison,
    Staffing,
    compare_scenarios,
)

# M/M/2: arrivals every 600 s, service 900 s, utilisation 0.75
LAMBDA, MU, C = 1 / 600, 1 / 900, 2


def erlang_c_wait() -> float:
    a = LAMBDA / MU
    top = a**C / math.factorial(C) * C / (C - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(C)) + top)
    return p_wait / (C * MU - LAMBDA)  # 1157.1 s


@pytest.fixture(scope="module")
def comparison() -> ScenarioComparison:
    model = single_queue(mean_gap=600.0, mean_service=900.0, servers=C)
    return compare_scenarios(
        model,
        [
            Scenario(name="three servers", changes=[Staffing(pool="servers", size=3)]),
            Scenario(name="slower", changes=[ActivityDuration(activity="serve", factor=1.2)]),
        ],
        ComparisonConfig(cases=20_000, replications=6, seed=2, workers=1, sla_days=1 / 24),
    )


def test_the_as_is_measures_agree_with_queueing_theory(comparison: ScenarioComparison) -> None:
    as_is = comparison.as_is
    util = as_is.utilisation["servers"]
    assert util.low - 0.01 <= LAMBDA / (C * MU) <= util.high + 0.01
    wait = as_is.waiting["serve"]
    assert wait.low * 0.9 <= erlang_c_wait() <= wait.high * 1.1
    # Little's law: open cases = arrival rate x time in the system
    little = LAMBDA * (erlang_c_wait() + 1 / MU)
    assert as_is.backlog.mean == pytest.approx(little, rel=0.1)
    # 10 % warm-up left out of 20,000 cases
    assert as_is.cases.mean == pytest.approx(18_000, abs=1)
    assert as_is.throughput_p90.mean > as_is.throughput_median.mean
    assert as_is.sla_compliance is not None and 0 < as_is.sla_compliance.mean < 1


def test_scenarios_move_the_measures_the_way_they_should(comparison: ScenarioComparison) -> None:
    more = comparison.outcome("three servers")
    slower = comparison.outcome("slower")
    assert more.pool_sizes == {"servers": 3}
    assert more.utilisation["servers"].mean == pytest.approx(0.5, abs=0.02)
    wait = comparison.difference("three servers", "waiting:serve")
    assert wait is not None and wait.clear and wait.high < 0
    assert comparison.difference("slower", "throughput_median").low > 0  # type: ignore[union-attr]
    sla = comparison.difference("three servers", "sla_compliance")
    assert sla is not None and sla.low > 0
    rel = comparison.relative_difference("slower", "utilisation:servers")
    assert rel == pytest.approx(0.2, abs=0.03)
    # the same seeds: the as-is arrivals are the scenario's, so the counts are identical
    assert more.cases.values == comparison.as_is.cases.values
    assert slower.metric("workload:servers") is not None
    summary = comparison.summary
    assert len(summary) == 2
    assert summary[0].startswith("With 'three servers', ")
    assert "the utilisation of servers falls" in summary[0]
    assert "median throughput time rises" in summary[1]


def test_estimates_are_student_t_intervals() -> None:
    values = [3.0, 5.0, 4.0, 6.0]
    e = Estimate.of(values)
    half = stats.t.ppf(0.975, 3) * statistics.stdev(values) / 2
    assert e.mean == 4.5
    assert (e.low, e.high) == pytest.approx((4.5 - half, 4.5 + half))
    assert e.clear
    assert not Estimate.of([-1.0, 1.0, 0.5]).clear
    assert math.isnan(Estimate.of([2.0]).low)


def test_the_comparison_round_trips_and_names_its_parts(comparison: ScenarioComparison) -> None:
    again = ScenarioComparison.from_dict(json.loads(json.dumps(comparison.to_dict())))
    assert again.as_is.throughput_median == comparison.as_is.throughput_median
    assert again.summary == comparison.summary
    assert comparison.outcome(AS_IS) is comparison.as_is
    with pytest.raises(ConfigurationError) as err:
        comparison.outcome("nope")
    assert "three servers" in (err.value.expected or "")


def test_bad_configurations_are_refused() -> None:
    model = single_queue(mean_gap=600.0, mean_service=900.0, servers=1)
    with pytest.raises(ConfigurationError):
        ComparisonConfig(replications=1)
    with pytest.raises(ConfigurationError) as err:
        ComparisonConfig(warmup=0.95)
    assert err.value.where is not None and err.value.where.field == "warmup"
    with pytest.raises(ConfigurationError) as err:
        compare_scenarios(model, [Scenario(name="a"), Scenario(name="a")])
    assert err.value.where is not None and err.value.where.field == "scenarios"


def test_intervals_stay_in_the_measures_range() -> None:
    e = Estimate.of([0.1, 0.9], lower=0.0, upper=1.0)
    assert e.low == 0.0 and e.high == 1.0 and e.mean == 0.5
