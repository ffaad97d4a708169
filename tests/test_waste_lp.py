"""The allocation LP (siting.waste._lp.solve_transport) against independent solvers.

The default path solves the transportation problem with POT's network simplex and certifies it
with a rebuilt dual bound; these tests compare its optimum with (a) the whole LP given to HiGHS
here, built independently of ``_lp``, and (b) networkx's min-cost flow on integer data, on
random instances (short capacity, unreachable pairs, sources and facilities cut off entirely).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from _waste_synthetic import networkx_transport_cost
from scipy.optimize import linprog

from siting.waste._lp import default_penalty, solve_transport

try:
    import ot  # noqa: F401
except ImportError:  # without POT solve_transport falls back to HiGHS: only these tests skip
    HAS_POT = False
else:
    HAS_POT = True
needs_pot = pytest.mark.skipif(not HAS_POT, reason="POT (network simplex) is not installed")


def _highs_whole(cost, supply, capacity, penalty):
    """Least cost of the whole LP (every finite pair a column), HiGHS dual simplex."""
    n_s, n_f = cost.shape
    rows, cols = np.nonzero(np.isfinite(cost))
    n_x = len(rows)
    c = np.r_[cost[rows, cols], np.full(n_s, penalty)]
    a_eq = sp.coo_matrix(
        (np.ones(n_x + n_s), (np.r_[rows, np.arange(n_s)], np.arange(n_x + n_s))), shape=(n_s, n_x + n_s)
    )
    a_ub = sp.coo_matrix((np.ones(n_x), (cols, np.arange(n_x))), shape=(n_f, n_x + n_s))
    res = linprog(c, A_ub=a_ub, b_ub=capacity, A_eq=a_eq, b_eq=supply, bounds=(0, None), method="highs-ds")
    assert res.status == 0, res.message
    return float(res.fun)


def _assert_feasible(sol, cost, supply, capacity, penalty):
    assert np.all(sol.flow >= 0) and np.all(sol.unmet >= 0)
    assert np.all(sol.flow[~np.isfinite(cost)] == 0), "flow on a pair that is not allowed"
    np.testing.assert_allclose(sol.flow.sum(axis=1) + sol.unmet, supply, rtol=1e-9, atol=1e-6)
    assert np.all(sol.flow.sum(axis=0) <= capacity + 1e-6), "a facility is over capacity"
    recomputed = (sol.flow * np.where(np.isfinite(cost), cost, 0)).sum() + penalty * sol.unmet.sum()
    assert sol.objective == pytest.approx(recomputed, rel=1e-12)


def _random(seed, n_s, n_f, *, cap_share, inf_share, integer=False):
    rng = np.random.default_rng(seed)
    if integer:
        cost = rng.integers(1, 60, (n_s, n_f)).astype(float)
        supply = rng.integers(1, 80, n_s).astype(float)
        capacity = np.floor(rng.dirichlet(np.ones(n_f)) * supply.sum() * cap_share)
    else:
        cost = rng.uniform(5, 90, (n_s, n_f)) + rng.uniform(0, 40, n_f)[None, :]
        supply = rng.lognormal(5, 1, n_s)
        capacity = rng.dirichlet(np.ones(n_f)) * supply.sum() * cap_share
    cost[rng.random((n_s, n_f)) < inf_share] = np.inf
    return cost, supply, capacity


@pytest.mark.parametrize("seed", range(6))
def test_random_instances_equal_highs(seed):
    cost, supply, capacity = _random(seed, 60, 12, cap_share=[0.7, 1.0, 1.6][seed % 3], inf_share=0.2)
    pen = default_penalty(cost)
    sol = solve_transport(cost, supply, capacity, penalty=pen)
    if HAS_POT:
        assert "network simplex" in sol.status  # the fast path was used and certified
    assert sol.objective == pytest.approx(_highs_whole(cost, supply, capacity, pen), rel=1e-9)
    _assert_feasible(sol, cost, supply, capacity, pen)
    highs = solve_transport(cost, supply, capacity, penalty=pen, method="highs")
    assert highs.objective == pytest.approx(sol.objective, rel=1e-9)


def test_short_capacity_fills_every_facility_and_reports_the_rest_unmet():
    cost, supply, capacity = _random(21, 80, 10, cap_share=0.3, inf_share=0.0)
    pen = default_penalty(cost)
    sol = solve_transport(cost, supply, capacity, penalty=pen)
    _assert_feasible(sol, cost, supply, capacity, pen)
    np.testing.assert_allclose(sol.flow.sum(axis=0), capacity, rtol=1e-9)  # all full
    assert sol.unmet.sum() == pytest.approx(supply.sum() - capacity.sum(), rel=1e-9)
    assert sol.objective == pytest.approx(_highs_whole(cost, supply, capacity, pen), rel=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_unreachable_pairs_equal_networkx(seed):
    cost, supply, capacity = _random(100 + seed, 25, 6, cap_share=0.8, inf_share=0.35, integer=True)
    cost[3, :] = np.inf  # a source that reaches no facility
    cost[:, 4] = np.inf  # a facility no source reaches
    cost[5, 1] = np.nan  # treated like inf
    pen = 1000.0
    sol = solve_transport(cost, supply, capacity, penalty=pen)
    _assert_feasible(sol, cost, supply, capacity, pen)
    assert sol.unmet[3] == supply[3]
    assert sol.flow[:, 4].sum() == 0
    assert sol.objective == pytest.approx(networkx_transport_cost(cost, supply, capacity, pen), rel=1e-9)
    assert sol.objective == pytest.approx(_highs_whole(cost, supply, capacity, pen), rel=1e-9)


@pytest.mark.parametrize(("cap_share", "inf_share"), [(0.9, 0.1), (0.3, 0.4)])
def test_highs_column_generation_path_is_exact(cap_share, inf_share):
    cost, supply, capacity = _random(7, 150, 20, cap_share=cap_share, inf_share=inf_share)
    pen = default_penalty(cost)
    cg = solve_transport(
        cost, supply, capacity, penalty=pen, method="highs", full_below=0, start_columns=3
    )  # restricted master + pricing rounds
    assert "column generation" in cg.status
    _assert_feasible(cg, cost, supply, capacity, pen)
    assert cg.objective == pytest.approx(_highs_whole(cost, supply, capacity, pen), rel=1e-9)
    fast = solve_transport(cost, supply, capacity, penalty=pen)
    assert cg.objective == pytest.approx(fast.objective, rel=1e-9)


def test_penalty_below_some_costs_and_odd_inputs():
    cost, supply, capacity = _random(3, 30, 5, cap_share=2.0, inf_share=0.1)
    supply[0] = 0.0  # a source with nothing to send
    capacity[1] = 0.0  # a facility out of use
    capacity[2] = np.inf  # an uncapacitated one
    pen = 60.0  # cheaper than many routes: those pairs must stay empty
    sol = solve_transport(cost, supply, capacity, penalty=pen)
    _assert_feasible(sol, cost, supply, capacity, pen)
    assert np.all(sol.flow[cost > pen] == 0)
    assert sol.flow[:, 1].sum() == 0 and sol.flow[0].sum() == 0
    ref = _highs_whole(cost, supply, np.where(np.isfinite(capacity), capacity, supply.sum()), pen)
    assert sol.objective == pytest.approx(ref, rel=1e-9)


@needs_pot
def test_wide_magnitudes_and_ties():
    rng = np.random.default_rng(5)
    cost = np.full((40, 8), 10.0)  # every route costs the same: a fully degenerate problem
    supply = rng.lognormal(0, 3, 40) * 1e3  # from tonnes to millions of tonnes
    capacity = np.full(8, supply.sum() / 10)
    pen = 1e6
    sol = solve_transport(cost, supply, capacity, penalty=pen, method="network_simplex")
    _assert_feasible(sol, cost, supply, capacity, pen)
    assert sol.objective == pytest.approx(_highs_whole(cost, supply, capacity, pen), rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_extreme_ranges_stay_exact_whichever_path_certifies(seed):
    # costs over 8 and supplies over 9 orders of magnitude: the network simplex potentials carry
    # round-off, the certificate may then refuse them and HiGHS answers; exact either way
    rng = np.random.default_rng(300 + seed)
    cost = 10 ** rng.uniform(-3, 5, (70, 15))
    cost[rng.random(cost.shape) < 0.3] = np.inf
    supply = 10 ** rng.uniform(-3, 6, 70)
    capacity = rng.dirichlet(np.ones(15)) * supply.sum() * 0.6
    pen = default_penalty(cost)
    sol = solve_transport(cost, supply, capacity, penalty=pen)
    _assert_feasible(sol, cost, supply, capacity, pen)
    assert sol.objective == pytest.approx(_highs_whole(cost, supply, capacity, pen), rel=1e-9)


def test_no_facilities_or_no_sources():
    supply = np.array([5.0, 7.0])
    sol = solve_transport(np.zeros((2, 0)), supply, np.zeros(0), penalty=100.0)
    np.testing.assert_array_equal(sol.unmet, supply)
    assert sol.objective == pytest.approx(1200.0)
    empty = solve_transport(np.zeros((0, 3)), np.zeros(0), np.ones(3), penalty=100.0)
    assert empty.flow.shape == (0, 3) and empty.objective == 0.0


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        solve_transport(np.ones((2, 2)), np.ones(2), np.ones(2), penalty=10.0, method="simplex")
