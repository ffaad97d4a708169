"""Private: the transportation LP and the capacitated facility-location MIP.

The allocation (transportation) LP is solved by POT's network simplex (``ot.lp.emd``) and
accepted only with a duality-gap certificate; HiGHS (``highspy``) is the fallback and the
reference.  The location MIP goes to HiGHS through :func:`scipy.optimize.milp`.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.errors import InputError


@dataclass
class TransportSolution:
    """Flows (t/yr) per (source, facility), unmet per source, objective and solve time."""

    flow: NDArray  # (n_sources, n_facilities)
    unmet: NDArray  # (n_sources,)
    objective: float
    solve_s: float
    status: str


def default_penalty(cost: NDArray) -> float:
    """Unmet penalty per tonne: ten times the dearest finite route, at least 1,000."""
    finite = cost[np.isfinite(cost)]
    return float(max(1000.0, 10.0 * finite.max())) if finite.size else 1000.0


def solve_transport(
    cost: NDArray,
    supply: NDArray,
    capacity: NDArray,
    *,
    penalty: float,
    method: str = "auto",
    start_columns: int = 5,
    full_below: int = 60_000,
) -> TransportSolution:
    """Minimum-cost transportation with an unmet slack per source, solved exactly.

    minimise  sum cost[s,f] x[s,f] + penalty * sum u[s]
    s.t.      sum_f x[s,f] + u[s] = supply[s]     (every tonne is delivered or reported unmet)
              sum_s x[s,f] <= capacity[f]
              x, u >= 0;   x[s,f] exists only where cost[s,f] is finite.

    Parameters
    ----------
    cost : ndarray, shape (n_sources, n_facilities)
        Cost per tonne (¥/t or km); ``inf``/``nan`` where the pair is not allowed.
    supply : ndarray, shape (n_sources,)
        Tonnes per year at each source (>= 0).
    capacity : ndarray, shape (n_facilities,)
        Capacity in t/yr of each facility (>= 0; ``inf`` is allowed).
    penalty : float
        Cost per unmet tonne.
    method : {"auto", "network_simplex", "highs"}
        ``"auto"`` (default) solves the problem as a balanced transportation problem with the
        network simplex of POT (``ot.lp.emd``, C++, about 100× faster than HiGHS here) and then
        *certifies* the result: a dual solution is rebuilt from the facility potentials and the
        primal and dual objectives must agree to :data:`CERTIFY_REL_GAP`; if they do not (or the
        network simplex stops early, or POT is not installed) the problem is solved again
        with HiGHS.
        ``"network_simplex"`` raises ``RuntimeError`` instead of falling back; ``"highs"`` uses
        HiGHS only (the previous solver; kept as the independent reference).
    start_columns, full_below : int
        HiGHS path only: small problems (fewer than ``full_below`` pairs) go to HiGHS whole;
        larger ones use exact column generation from each source's ``start_columns`` cheapest
        facilities, pricing left-out pairs with the duals (reduced cost
        ``cost - dual_supply[s] - dual_capacity[f]``) until none is negative.

    Returns
    -------
    TransportSolution
        ``flow`` (t/yr per pair), ``unmet`` (t/yr per source), objective, wall time of the solve
        in seconds and a status naming the solver used and the certified duality gap.
    """
    if method not in ("auto", "network_simplex", "highs"):
        msg = f"method must be 'auto', 'network_simplex' or 'highs', got {method!r}"
        raise ValueError(msg)
    cost = np.asarray(cost, dtype=float)
    supply = np.asarray(supply, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    n_s, n_f = cost.shape
    finite = np.isfinite(cost)
    if n_s == 0:
        return TransportSolution(
            flow=np.zeros((0, n_f)), unmet=np.zeros(0), objective=0.0, solve_s=0.0, status="no sources"
        )
    capacity = np.where(np.isfinite(capacity), capacity, supply.sum())  # inf ≡ able to take all
    emd = None
    if method != "highs":
        # importing POT costs seconds the first time (it imports scikit-learn when installed):
        # done here, only when needed, and outside the timed solve
        try:
            from ot.lp import emd
        except ImportError:
            if method == "network_simplex":
                raise
    start = time.perf_counter()
    if emd is not None:
        found = _transport_network_simplex(cost, finite, supply, capacity, float(penalty), emd)
        if found is not None:
            flow, unmet, objective, note = found
            return TransportSolution(
                flow=flow, unmet=unmet, objective=objective, solve_s=time.perf_counter() - start, status=note
            )
        if method == "network_simplex":
            msg = "the network simplex result could not be certified optimal"
            raise RuntimeError(msg)
    flow, unmet, objective, note = _transport_highs(
        cost, finite, supply, capacity, float(penalty), start_columns, full_below
    )
    return TransportSolution(
        flow=flow, unmet=unmet, objective=objective, solve_s=time.perf_counter() - start, status=note
    )


#: Largest relative gap between the primal objective and the rebuilt dual bound for which the
#: network-simplex allocation is accepted as optimal (the brief asks for 1e-9 of HiGHS).
CERTIFY_REL_GAP = 1e-10


def _transport_network_simplex(cost: NDArray, finite: NDArray, supply: NDArray, capacity: NDArray, penalty: float, emd):
    """Network simplex on the balanced form; ``None`` unless the duality gap certifies it.

    Balanced form: the sources plus a dummy *spare-capacity* row (supply = total capacity)
    against the facilities plus a dummy *unmet* column (demand = total supply).  Source → unmet
    costs ``penalty``; spare → facility and spare → unmet cost 0; a pair that is not allowed gets
    a cost above ``penalty`` (and above every finite cost), so an optimum never uses it (moving
    that flow to *unmet* is cheaper) — checked below all the same.
    """
    n_s, n_f = cost.shape
    rows = np.flatnonzero(supply > 0)
    cols = np.flatnonzero((capacity > 0) & finite[rows].any(axis=0)) if len(rows) else np.zeros(0, int)
    flow = np.zeros((n_s, n_f))
    if len(rows) and len(cols):
        sub = cost[np.ix_(rows, cols)]
        sub_finite = finite[np.ix_(rows, cols)]
        top = max(abs(penalty), float(np.abs(sub[sub_finite]).max(initial=0.0)))
        m = np.zeros((len(rows) + 1, len(cols) + 1))
        m[:-1, :-1] = np.where(sub_finite, sub, 2.0 * top + 1.0)
        m[:-1, -1] = penalty
        total = float(supply[rows].sum() + capacity[cols].sum())
        scale = 2.0 ** -np.ceil(np.log2(total))  # masses summing to ~1, scaled exactly
        a = np.r_[supply[rows], capacity[cols].sum()] * scale
        b = np.r_[capacity[cols], supply[rows].sum()] * scale
        with warnings.catch_warnings():  # a failure is handled below (HiGHS fallback)
            warnings.simplefilter("ignore", UserWarning)
            g, log = emd(
                a, b, m, numItermax=max(1_000_000, 50 * m.size), log=True, center_dual=False, check_marginals=False
            )
        if log["result_code"] != 1:  # 1 = optimal; else infeasible/unbounded/max_iter_reached
            return None
        if np.any(g[:-1, :-1][~sub_finite] > 0):
            return None
        flow[np.ix_(rows, cols)] = g[:-1, :-1] / scale
        v = np.zeros(n_f)
        # facility duals of the original problem: beta_f - beta_unmet (u_s = alpha_s + beta_u)
        v[cols] = log["v"][:-1] - log["v"][-1]
    else:
        v = np.zeros(n_f)
    flow, unmet = _make_feasible(flow, supply, capacity)
    objective = _objective(flow, unmet, cost, finite, penalty)
    bound = _dual_bound(cost, finite, supply, capacity, penalty, v)
    gap = (objective - bound) / max(abs(objective), abs(bound), 1e-300)
    if not gap <= CERTIFY_REL_GAP:
        return None
    return flow, unmet, objective, f"optimal (network simplex; certified duality gap {gap:.1e})"


def _make_feasible(flow: NDArray, supply: NDArray, capacity: NDArray) -> tuple[NDArray, NDArray]:
    """Remove round-off: flows >= 0, no facility above capacity, no source above its supply."""
    tiny = 1e-9 * max(1.0, float(supply.max(initial=0.0)))
    flow = np.where(flow < tiny, 0.0, flow)
    used = flow.sum(axis=0)
    over = used > capacity
    if over.any():
        flow[:, over] *= capacity[over] / used[over]
    sent = flow.sum(axis=1)
    over = sent > supply
    if over.any():
        flow[over] *= (supply[over] / sent[over])[:, None]
    unmet = supply - flow.sum(axis=1)
    unmet = np.where(np.abs(unmet) < 1e-6, 0.0, np.maximum(unmet, 0.0))
    return flow, unmet


def _objective(flow: NDArray, unmet: NDArray, cost: NDArray, finite: NDArray, penalty: float) -> float:
    return float((flow * np.where(finite, cost, 0.0)).sum() + penalty * unmet.sum())


def _dual_bound(
    cost: NDArray, finite: NDArray, supply: NDArray, capacity: NDArray, penalty: float, v: NDArray
) -> float:
    """Lower bound on the optimum from facility duals ``v`` (weak LP duality).

    The dual is  max sum supply*w + sum capacity*v  s.t.  w[s] + v[f] <= cost[s,f],
    w[s] <= penalty, v <= 0.  Any ``v <= 0`` with ``w[s] = min(penalty, min_f cost - v)`` is
    feasible, so its objective bounds the least cost from below whatever solver gave ``v``
    (``capacity`` must be finite).
    """
    v = np.minimum(v, 0.0)
    # a facility of zero capacity adds nothing to the bound whatever v is: v = -inf drops it
    usable = finite & (capacity > 0)[None, :]
    w = np.minimum(penalty, np.min(np.where(usable, cost - v[None, :], np.inf), axis=1, initial=np.inf))
    return float(supply @ w + capacity @ v)


def _transport_highs(
    cost: NDArray,
    finite: NDArray,
    supply: NDArray,
    capacity: NDArray,
    penalty: float,
    start_columns: int,
    full_below: int,
):
    """The HiGHS path: the whole LP, or exact column generation for large problems.

    The model goes to ``highspy`` column-wise (numpy arrays, no Python loop).  Column generation
    keeps one HiGHS instance: new pair columns are added to the solved restricted master and the
    next solve starts from the previous basis.  Each round adds, per source, at most
    :data:`_PRICED_PER_SOURCE` pairs of most negative reduced cost ``cost - y_s - y_f``; when no
    pair prices out negative the restricted optimum is optimal for the whole problem (LP duality).
    """
    import highspy  # only this fallback needs it

    try:  # the core class: highspy.Highs() prints a banner on stdout before options can be set
        from highspy._core import _Highs as HighsCore
    except ImportError:  # pragma: no cover - other highspy layouts
        HighsCore = highspy.Highs

    n_s, n_f = cost.shape
    masked = np.where(finite, cost, np.inf)
    whole = int(finite.sum()) < full_below or n_f <= start_columns
    if whole:
        active = finite.copy()
    else:
        nearest = np.argpartition(masked, start_columns - 1, axis=1)[:, :start_columns]
        active = np.zeros_like(finite)
        np.put_along_axis(active, nearest, True, axis=1)
        active &= finite
    inf = highspy.kHighsInf
    h = HighsCore()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()  # rows: supply balance (=), capacity (<=); columns: unmet per source
    lp.num_col_, lp.num_row_ = n_s, n_s + n_f
    lp.col_cost_ = np.full(n_s, penalty)
    lp.col_lower_, lp.col_upper_ = np.zeros(n_s), np.full(n_s, inf)
    lp.row_lower_ = np.r_[supply, np.full(n_f, -inf)]
    lp.row_upper_ = np.r_[supply, capacity]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n_s, n_s + n_f
    lp.a_matrix_.start_ = np.arange(n_s + 1, dtype=np.int32)
    lp.a_matrix_.index_ = np.arange(n_s, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(n_s)
    h.passModel(lp)
    pair_rows, pair_cols = [], []

    def add_pairs(r: NDArray, c: NDArray) -> None:
        index = np.empty(2 * len(r), dtype=np.int32)
        index[0::2], index[1::2] = r, n_s + c
        h.addCols(
            len(r),
            cost[r, c],
            np.zeros(len(r)),
            np.full(len(r), inf),
            len(index),
            np.arange(0, len(index), 2, dtype=np.int32),
            index,
            np.ones(len(index)),
        )
        pair_rows.append(r)
        pair_cols.append(c)

    add_pairs(*np.nonzero(active))
    tol = 1e-9 * max(1.0, float(np.abs(cost[finite]).max(initial=1.0)), penalty)
    rounds = 0
    while True:
        rounds += 1
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:  # pragma: no cover
            msg = f"the allocation LP failed: {h.modelStatusToString(h.getModelStatus())}"
            raise RuntimeError(msg)
        if whole:
            break
        dual = np.asarray(h.getSolution().row_dual)
        reduced = masked - dual[:n_s, None] - dual[None, n_s:]
        reduced[active] = np.inf
        negative = reduced < -tol
        if not negative.any():
            break
        per_source = min(_PRICED_PER_SOURCE, n_f)
        best = np.argpartition(reduced, per_source - 1, axis=1)[:, :per_source]
        entering = np.zeros_like(negative)
        np.put_along_axis(entering, best, True, axis=1)
        entering &= negative
        r, c = np.nonzero(entering)
        active[r, c] = True
        add_pairs(r, c)
    x = np.asarray(h.getSolution().col_value)
    flow = np.zeros((n_s, n_f))
    flow[np.concatenate(pair_rows), np.concatenate(pair_cols)] = np.clip(x[n_s:], 0.0, None)
    flow, unmet = _make_feasible(flow, supply, capacity)
    objective = _objective(flow, unmet, cost, finite, penalty)
    how = "whole LP" if whole else f"column generation, {rounds} pricing round(s)"
    return flow, unmet, objective, f"optimal (HiGHS simplex; {how})"


#: Column generation: pairs added per source and pricing round (the most negative ones).
_PRICED_PER_SOURCE = 3


@dataclass
class LocationSolution:
    """Chosen candidate sites, flows, unmet and the objective of the location MIP."""

    open_candidates: NDArray  # bool (n_candidates,)
    flow: NDArray  # (n_sources, n_existing + n_candidates)
    unmet: NDArray
    objective: float
    solve_s: float
    status: str
    mip_gap: float


def solve_location(
    cost: NDArray,
    supply: NDArray,
    capacity: NDArray,
    fixed_cost: NDArray,
    is_candidate: NDArray,
    k: int,
    *,
    penalty: float | None,
    time_limit_s: float = 120.0,
    mip_rel_gap: float = 1e-6,
    strong_linking: bool | None = None,
) -> LocationSolution:
    """Capacitated facility location: open exactly ``k`` candidates.

    minimise  sum cost x + sum fixed y + penalty sum u
    s.t.      sum_j x[s,j] + u[s] = supply[s]
              sum_s x[s,j] <= capacity[j]                  (existing j)
              sum_s x[s,j] - capacity[j] y[j] <= 0          (candidate j)
              x[s,j] - supply[s] y[j] <= 0                  (candidate j; tightens the LP)
              sum_j y[j] = k,  y binary
    ``capacity`` may be ``inf`` (uncapacitated: the p-median when nothing is existing);
    ``penalty=None`` forbids unmet supply (every source must reach an open site).
    """
    n_s, n_j = cost.shape
    cand = np.flatnonzero(is_candidate)
    n_y = len(cand)
    rows, cols = np.nonzero(np.isfinite(cost))
    n_x = len(rows)
    n_u = n_s if penalty is not None else 0
    n_var = n_x + n_u + n_y
    x_of = np.arange(n_x)
    u_of = n_x + np.arange(n_u)
    y_pos = np.full(n_j, -1)
    y_pos[cand] = n_x + n_u + np.arange(n_y)
    c = np.r_[cost[rows, cols], np.full(n_u, penalty if penalty is not None else 0.0), fixed_cost[cand]]
    blocks_a, blocks_lo, blocks_hi = [], [], []
    # supply balance
    r = np.r_[rows, np.arange(n_u)]
    k_ = np.r_[x_of, u_of]
    blocks_a.append(sp.csr_matrix((np.ones(len(r)), (r, k_)), shape=(n_s, n_var)))
    blocks_lo.append(supply)
    blocks_hi.append(supply)
    # capacities
    finite_cap = np.isfinite(capacity)
    cap_rows = np.flatnonzero(finite_cap)
    if len(cap_rows):
        row_of = np.full(n_j, -1)
        row_of[cap_rows] = np.arange(len(cap_rows))
        sel = finite_cap[cols]
        data_r = [row_of[cols[sel]]]
        data_c = [x_of[sel]]
        data_v = [np.ones(int(sel.sum()))]
        cand_cap = cand[finite_cap[cand]]
        data_r.append(row_of[cand_cap])
        data_c.append(y_pos[cand_cap])
        data_v.append(-capacity[cand_cap])
        a_cap = sp.csr_matrix(
            (np.concatenate(data_v), (np.concatenate(data_r), np.concatenate(data_c))), shape=(len(cap_rows), n_var)
        )
        blocks_a.append(a_cap)
        blocks_lo.append(np.full(len(cap_rows), -np.inf))
        blocks_hi.append(np.where(is_candidate[cap_rows], 0.0, capacity[cap_rows]))
    # linking x <= supply * y for candidate columns
    link = is_candidate[cols]
    if strong_linking is None:
        strong_linking = int(link.sum()) <= 400_000
    if strong_linking or not np.all(finite_cap[cand]):
        idx = np.flatnonzero(link)
        m = len(idx)
        a_link = sp.csr_matrix(
            (
                np.r_[np.ones(m), -supply[rows[idx]]],
                (np.r_[np.arange(m), np.arange(m)], np.r_[x_of[idx], y_pos[cols[idx]]]),
            ),
            shape=(m, n_var),
        )
        blocks_a.append(a_link)
        blocks_lo.append(np.full(m, -np.inf))
        blocks_hi.append(np.zeros(m))
    # exactly k
    a_k = sp.csr_matrix((np.ones(n_y), (np.zeros(n_y, int), n_x + n_u + np.arange(n_y))), shape=(1, n_var))
    blocks_a.append(a_k)
    blocks_lo.append(np.array([float(k)]))
    blocks_hi.append(np.array([float(k)]))
    constraints = LinearConstraint(sp.vstack(blocks_a).tocsr(), np.concatenate(blocks_lo), np.concatenate(blocks_hi))
    integrality = np.r_[np.zeros(n_x + n_u), np.ones(n_y)]
    upper = np.r_[np.full(n_x + n_u, np.inf), np.ones(n_y)]
    start = time.perf_counter()
    res = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(np.zeros(n_var), upper),
        options={"time_limit": time_limit_s, "mip_rel_gap": mip_rel_gap},
    )
    solve_s = time.perf_counter() - start
    if res.x is None:
        msg = (
            f"the facility-location model has no solution ({res.message}); with unmet supply "
            "forbidden every source must reach at least one candidate"
        )
        raise InputError(msg)
    x = res.x
    y = x[n_x + n_u :] > 0.5  # HiGHS may report 1e-15 for a closed site
    open_cand = np.zeros(n_j, dtype=bool)
    open_cand[cand[y]] = True
    flow = np.zeros((n_s, n_j))
    flow[rows, cols] = np.clip(x[:n_x], 0.0, None)
    flow[flow < 1e-9 * max(1.0, float(supply.max(initial=0.0)))] = 0.0
    unmet = supply - flow.sum(axis=1)
    unmet = np.where(np.abs(unmet) < 1e-6, 0.0, unmet)
    gap = float(getattr(res, "mip_gap", np.nan) or 0.0)
    return LocationSolution(
        open_candidates=open_cand[is_candidate],
        flow=flow,
        unmet=unmet,
        objective=float(res.fun),
        solve_s=solve_s,
        status=res.message,
        mip_gap=gap,
    )


def check_k(k: int, n_candidates: int, *, what: str = "candidate sites") -> int:
    """Raise InputError unless 1 <= k <= n_candidates."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        msg = f"k (the number of new facilities) must be a whole number >= 1, got {k!r}"
        raise InputError(msg)
    if k > n_candidates:
        msg = (
            f"cannot choose k={k} new facilities among {n_candidates} usable {what}; lower k "
            "or give more candidates (industrial parks or --candidates FILE)"
        )
        raise InputError(msg)
    return int(k)
