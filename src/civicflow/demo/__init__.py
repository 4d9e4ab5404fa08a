"""The seeded demo generator: a realistic permit-application process."""

from civicflow.demo._generator import (
    ACTIVITIES,
    BOTTLENECK_ACTIVITY,
    DemoConfig,
    DemoLog,
    generate_demo_log,
    simulate_demo,
)
from civicflow.demo._workspace import DEMO_DATASET, DEMO_MAPPING, build_demo_workspace

__all__ = [
    "ACTIVITIES",
    "BOTTLENECK_ACTIVITY",
    "DEMO_DATASET",
    "DEMO_MAPPING",
    "DemoConfig",
    "DemoLog",
    "build_demo_workspace",
    "generate_demo_log",
    "simulate_demo",
]
