"""Hypothesis profiles: 'ci' (default; deterministic, no deadline) and 'dev' (random, more examples).

Pick one with HYPOTHESIS_PROFILE=dev.
"""

import os
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=20, deadline=None, derandomize=True, print_blob=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
np.seterr(all="ignore")  # tests assert on values; NumPy's warnings at kinks are noise here

# A skip must be about something genuinely optional: a package outside the core dependencies
# (numpy, hypothesis, graphviz, pytest are not), or a program (Graphviz `dot`, Chromium). Any other
# skip (a leftover from build order, "not available yet", a helper that gave up) fails instead,
# so that a test cannot pass by not running. See tests/README.md.
OPTIONAL = ("torch", "onnx", "onnxruntime", "safetensors", "playwright", "chromium", "matplotlib",
            "nbformat", "nbclient", "ipykernel", "jupyter", "sklearn", "scikit-learn", "micrograd",
            "tqdm", "threadpoolctl", "Graphviz `dot`")


def _refuse_needless_skip(report) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if not any(re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", reason) for name in OPTIONAL):
            report.outcome = "failed"
            report.longrepr = (f"skipped for a reason that is not a missing optional package or "
                               f"program: {reason!r}; make the test run, or name what it needs")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    _refuse_needless_skip((yield).get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):  # a whole module skipped at import
    _refuse_needless_skip((yield).get_result())
