"""Hypothesis profiles: 'ci' (default; deterministic, no deadline) and 'dev' (random, more examples).

Pick one with HYPOTHESIS_PROFILE=dev.
"""

import os

import numpy as np
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
