"""Smoke test of ``benchmarks.rules``: every rule trains one epoch on one seed, untimed; the last
line printed is the JSON summary. Accuracy and speed are measured by ``python3 -m
benchmarks.rules``, not here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def test_rules_benchmark_runs_every_rule_once(capsys):
    from benchmarks import rules

    result = rules.main(["--quick", "--epochs", "1", "--seeds", "1", "--limit", "96"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert json.loads(lines[-1]) == result
    assert set(result["rules"]) == set(rules.RULES)
    for name, entry in result["rules"].items():
        assert 0.0 <= entry["accuracy"] <= 1.0 and entry["seconds"] >= 0, name


def test_every_rule_of_nn_rules_is_in_the_benchmark():
    import nn
    from benchmarks import rules

    exported = {name for name in nn.rules.__all__
                if isinstance(getattr(nn.rules, name), type)
                and issubclass(getattr(nn.rules, name), nn.rules.Rule)
                and getattr(nn.rules, name) is not nn.rules.Rule}
    assert exported == set(rules.RULES)


def test_rules_start_from_the_same_forward_weights():
    import numpy as np

    import autograd_engine as ag
    import nn
    from benchmarks import rules

    ag.manual_seed(5)
    reference = [m.weight.data for m in nn.MLP(rules.DIGITS, activation="tanh")
                 if isinstance(m, nn.Linear)]
    for name, entry in rules.RULES.items():
        ag.manual_seed(5)
        if name in ("ForwardForward", "SymBa"):
            continue  # its first layer also reads the label: a different network from the start
        weights = [w.data for w in rules.forward_weights(entry.model(rules.DIGITS))]
        assert len(weights) == len(reference) and all(
            np.array_equal(a, b) for a, b in zip(weights, reference)), name
