"""The difference coefficient of docs/policy.md."""

import numpy as np
import pytest

from solver.rules.indicators import difference_coefficient

# docs/policy.md's worked example: library books per student at 5 primary schools.
P = np.array([45, 37, 89, 76, 55])
T = np.array([279, 137, 935, 160, 402])


def test_worked_example_matches_published_value():
    """The student-weighted CV of the published example is 0.515 (published 0.52)."""
    assert difference_coefficient(P, T / P) == pytest.approx(0.515, abs=5e-4)


def test_unweighted_variant_is_not_what_is_computed():
    """The unweighted CV (0.489) would differ: weights are the enrolments."""
    x = T / P
    unweighted = x.std() / x.mean()
    assert unweighted == pytest.approx(0.489, abs=5e-4)
    assert abs(difference_coefficient(P, x) - unweighted) > 0.02


def test_convex_identity():
    """CV ≤ c ⇔ Σ T_i²/P_i ≤ (1 + c²) T²/P, the identity the model relies on."""
    cv = difference_coefficient(P, T / P)
    lhs = (T**2 / P).sum()
    rhs = (1 + cv**2) * T.sum() ** 2 / P.sum()
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_equal_values_have_zero_coefficient_and_zero_weights_are_ignored():
    """Equal per-school values give 0; schools with no students do not count."""
    assert difference_coefficient([10, 20, 0], [2.0, 2.0, 99.0]) == 0.0
