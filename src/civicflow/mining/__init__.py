"""Process assessment: maps, variants, performance, bottlenecks, rework, SLA, conformance, KPIs and
baselines, written once as Ibis expressions and run on any engine."""

__all__: list[str] = []
