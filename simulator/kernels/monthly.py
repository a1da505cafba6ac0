"""Monthly cash flows reduced to what the outputs show, so a run need not keep every simulation's months.

A national run at 10,000 simulations has 63 parties x 109 months of four monthly flows per
simulation: 2.2 GB. The figures and the workbook show only means, percentiles and the month
cash first runs out, so the engine passes each piece of a chunk through :func:`reduce_months`
and keeps: each simulation's net flow as float32 (for the percentiles), the sums behind the
means, the outcome money in settlement months, the net flow by year (in each grouping of
months into years), and the cash-out month. :func:`party_percentiles` then gives each
month's percentiles of net flow and cash position (all three percentile functions run
:func:`monthly_percentiles`, one kernel).

Percentiles are numpy's default ('linear', Hyndman and Fan type 7), computed exactly: one
pass counts the values in 1,024 equal bins between the column's minimum and maximum, a
second collects only the bins that hold the order statistics needed, which are then sorted
(binning preserves order, so the ranks are exact). About 2.5 ns a value on this machine. The
loops are written for the compiler: indexed, with no early exit, the bins computed apart
from the counting, the minimum and maximum kept four at a time, so that the first three
vectorise and the fourth does not wait on itself (1.5 times as fast as one pass of each).
The sort is a heap sort written here: numba's ``ndarray.sort`` (a generic quicksort) cost a
second of a fresh install's compile, and any correct sort gives the same order statistics.
"""

from __future__ import annotations

import numpy as np
from numba import njit

N_BINS = 1024


@njit(cache=True, nogil=True)
def reduce_months(net, fee, pbr, cost, row0, parties, reserves, credit, pay, year_of, kept):
    """Fold one piece's monthly flows (rows x parties x months, GBP) into ``kept``.

    ``kept`` is (net32, pay_pbr, year_net, cash_out, sums): the net flow as float32, party by
    month by simulation (row ``row0 + s``), so that one month's values lie together; per
    simulation the outcome money in the months ``pay``, the net flow summed into the column
    ``year_of[g, month]`` for each grouping g of months into years, the first month cash falls
    below minus the credit line (-1: never); and sums of fee, outcome money, cost and net flow
    by party and month (added to, simulation by simulation in row order). Only parties
    ``parties`` are touched, so two threads may fold disjoint parties at once; the party loop is
    outermost so that the float32 writes of consecutive simulations share cache lines.

    Each sum is added to in the same order as a month-by-month pass would (a year's sum is held
    in a register and stored when its months end), so the figures are the same to the bit. That
    needs ``year_of``'s columns non-negative and disjoint between groupings, as
    :func:`~simulator.results.monthly.year_columns` makes them. Split into loops the compiler can keep apart, the fold of a
    national run's 10,000 simulations took 0.30 s on one thread, against 0.42 s as one
    month-by-month loop, whose year sums waited on each other through memory (25 Nov; in whole
    runs on two threads, 0.20 s against 0.28 s, and 0.33 s against 0.39 s on a slower spell).
    """
    net32, pay_pbr, year_net, cash_out, sums = kept
    by_year = np.zeros(year_net.shape[2])
    n_m = net.shape[2]
    for p in parties:
        out32, sum_net, sum_fee, sum_pbr, sum_cost = net32[p], sums[0, p], sums[1, p], sums[2, p], sums[3, p]
        res, cred = reserves[p], credit[p]
        for s in range(net.shape[0]):
            net_s, fee_s, pbr_s, cost_s = net[s, p], fee[s, p], pbr[s, p], cost[s, p]
            col = row0 + s
            cum = 0.0
            first = -1
            for mo in range(n_m):
                n = net_s[mo]
                cum += n
                if first < 0 and (res + cum) + cred < 0.0:
                    first = mo
                out32[mo, col] = n
            cash_out[col, p] = first
            by_year[:] = 0.0
            for g in range(year_of.shape[0]):  # a year's sum held in a register while its months last
                y, acc = -1, 0.0
                for mo in range(n_m):
                    if year_of[g, mo] != y:
                        if y >= 0:
                            by_year[y] = acc
                        y = year_of[g, mo]
                        acc = by_year[y]
                    acc += net_s[mo]
                if y >= 0:
                    by_year[y] = acc
            for mo in range(n_m):  # apart from the loops above, so that the compiler vectorises it
                sum_net[mo] += net_s[mo]
                sum_fee[mo] += fee_s[mo]
                sum_pbr[mo] += pbr_s[mo]
                sum_cost[mo] += cost_s[mo]
            for i in range(len(pay)):
                pay_pbr[col, p, i] = pbr_s[pay[i]]
            for y in range(len(by_year)):
                year_net[col, p, y] = by_year[y]


PARTIES, TOTAL, COLUMNS = 0, 1, 2  # the jobs of monthly_percentiles


@njit(cache=True, nogil=True)
def monthly_percentiles(job, net32, parties, reserves, reserves_total, probs, net_q, cash_q, total_q, x, x_out):
    """Every percentile of a run's statistics, in one kernel: ``job`` says which (see the three functions below,
    which call it; each passes empty arrays for what its job does not use).

    One kernel, not three: numba optimises a kernel's callees again inside each kernel that calls
    them, so :func:`percentiles` was compiled three times over. This saves about 0.4 s of a fresh
    install's compile, on its first run's critical path: the run waits at its end for the side
    process to finish this kernel.
    """
    if job == PARTIES:  # net32: parties x months x sims; net_q, cash_q: len(probs) x parties x months
        sims, months = net32.shape[2], net32.shape[1]
        scratch = Scratch(sims)
        col, cum = np.empty(sims), np.empty(sims)
        for p in parties:
            cum[:] = 0.0
            for mo in range(months):
                for s in range(sims):
                    col[s] = net32[p, mo, s]
                    cum[s] += col[s]
                percentiles(col, probs, net_q[:, p, mo], scratch)
                for s in range(sims):
                    col[s] = reserves[p] + cum[s]
                percentiles(col, probs, cash_q[:, p, mo], scratch)
    elif job == TOTAL:  # total_q: len(probs) x months
        n_p, months, sims = net32.shape
        scratch = Scratch(sims)
        col, cum = np.empty(sims), np.zeros(sims)
        for mo in range(months):
            col[:] = 0.0
            for p in range(n_p):
                for s in range(sims):
                    col[s] += net32[p, mo, s]
            for s in range(sims):
                cum[s] += col[s]
                col[s] = reserves_total + cum[s]
            percentiles(col, probs, total_q[:, mo], scratch)
    else:  # x: sims x columns; x_out: len(probs) x columns
        scratch = Scratch(x.shape[0])
        col = np.empty(x.shape[0])
        for c in range(x.shape[1]):
            for s in range(x.shape[0]):
                col[s] = x[s, c]
            percentiles(col, probs, x_out[:, c], scratch)


def party_percentiles(net32, parties, reserves, probs, net_q, cash_q):
    """Percentiles ``probs`` of each party's net flow and cash position (reserves + cumulative net) by month.

    ``net32`` is parties x months x sims; ``net_q`` and ``cash_q`` are len(probs) x parties x
    months. The cash position is summed in float64, month by month, as ``cumsum`` sums it.
    """
    monthly_percentiles(PARTIES, net32, parties, reserves, 0.0, probs, net_q, cash_q, _EMPTY2, _EMPTY2_32, _EMPTY2)


def total_percentiles(net32, reserves_total, probs, out):
    """Percentiles by month of all parties' cash position together (``out``: len(probs) x months)."""
    monthly_percentiles(TOTAL, net32, _EMPTY1_INT, _EMPTY1, float(reserves_total), probs, _EMPTY3, _EMPTY3, out,
                        _EMPTY2_32, _EMPTY2)


def column_percentiles(x, probs, out):
    """Percentiles ``probs`` of each column of ``x`` (sims x columns, float32 in a run): ``out`` is len(probs) x
    columns."""
    monthly_percentiles(COLUMNS, _EMPTY3_32, _EMPTY1_INT, _EMPTY1, 0.0, probs, _EMPTY3, _EMPTY3, _EMPTY2, x, out)


# what a job does not use: the run's types, so that one compiled kernel serves all three
_EMPTY1, _EMPTY1_INT, _EMPTY2, _EMPTY3 = np.zeros(0), np.zeros(0, np.int64), np.zeros((0, 0)), np.zeros((0, 0, 0))
_EMPTY2_32, _EMPTY3_32 = np.zeros((0, 0), np.float32), np.zeros((0, 0, 0), np.float32)


@njit(cache=True, nogil=True)
def Scratch(n):  # noqa: N802  (a record of work arrays, named like one)
    return (np.empty(N_BINS, dtype=np.int64), np.empty(N_BINS + 1, dtype=np.int64), np.empty(n),
            np.empty(N_BINS, dtype=np.bool_), np.empty(N_BINS + 1, dtype=np.int64), np.empty(N_BINS, dtype=np.int64),
            np.empty(n, dtype=np.uint16))


@njit(cache=True, nogil=True)
def all_finite(x):
    """Whether no value of ``x`` is NaN or infinite (indexed, with no early exit: the compiler vectorises it)."""
    finite = True
    for i in range(len(x)):
        finite &= x[i] - x[i] == 0.0
    return finite


@njit(cache=True, nogil=True)
def value_range(x):
    """(lowest, highest) of ``x`` (finite): four of each kept at once, so that no comparison waits on the last."""
    n = len(x)
    l0 = l1 = l2 = l3 = h0 = h1 = h2 = h3 = x[0]
    i = 0
    while i + 4 <= n:
        a, b, c, d = x[i], x[i + 1], x[i + 2], x[i + 3]
        l0, l1, l2, l3 = min(l0, a), min(l1, b), min(l2, c), min(l3, d)
        h0, h1, h2, h3 = max(h0, a), max(h1, b), max(h2, c), max(h3, d)
        i += 4
    for j in range(i, n):
        l0, h0 = min(l0, x[j]), max(h0, x[j])
    return min(min(l0, l1), min(l2, l3)), max(max(h0, h1), max(h2, h3))


@njit(cache=True, nogil=True)
def percentiles(x, probs, out, scratch):
    """numpy's ``percentile(x, probs)`` (method 'linear') of a 1-d array, without sorting it all."""
    n = len(x)
    lo, hi = value_range(x)
    if not all_finite(x) or not hi - lo < np.inf:  # a NaN or an infinity, or a range beyond float64: binning
        sorted_percentiles(x, probs, out, scratch[2])  # cannot place them
        return
    if lo == hi:  # a flow that is the same in every simulation (a fixed fee, nothing yet): no ranking needed
        out[:] = x[0]
        return
    scale = N_BINS / (hi - lo)
    if not scale < np.inf:
        scale = 0.0
    counts, below, buf, want, start, fill, bins = scratch
    counts[:] = 0
    for i in range(n):  # the bins first, apart from the counting: the compiler vectorises this loop
        bins[i] = min(np.int32((x[i] - lo) * scale), N_BINS - 1)
    for i in range(n):
        counts[bins[i]] += 1
    below[0] = 0
    for b in range(N_BINS):
        below[b + 1] = below[b] + counts[b]
    want[:] = False
    for j in range(len(probs)):
        k = order_index(n, probs[j])
        want[bin_of(below, k)] = True
        want[bin_of(below, min(k + 1, n - 1))] = True
    start[0] = 0  # where each wanted bin's values go in buf
    for b in range(N_BINS):
        start[b + 1] = start[b] + (counts[b] if want[b] else 0)
        fill[b] = start[b]
    for i in range(n):
        b = bins[i]
        if want[b]:
            buf[fill[b]] = x[i]
            fill[b] += 1
    heap_sort(buf, start[N_BINS])
    for j in range(len(probs)):
        k = order_index(n, probs[j])
        k1 = min(k + 1, n - 1)
        a = buf[start[bin_of(below, k)] + k - below[bin_of(below, k)]]
        b = buf[start[bin_of(below, k1)] + k1 - below[bin_of(below, k1)]]
        q = probs[j] / 100.0
        virtual = n * q + (1.0 - q) - 1.0  # numpy's (n - 1) q, within the last bit
        out[j] = lerp(a, b, virtual - np.floor(virtual) if k < n - 1 else 0.0)


@njit(cache=True, nogil=True)
def sorted_percentiles(x, probs, out, buf):
    """:func:`percentiles` of a column binning cannot place (a NaN, an infinity, a range beyond float64), as
    numpy computes them: NaN throughout when a value is NaN, else from the whole column sorted, at numpy's
    index ``(n - 1) q`` (an infinity next to it then gives what numpy gives). The model makes no such column;
    this keeps one from indexing outside the bins."""
    n = len(x)
    for i in range(n):
        if np.isnan(x[i]):
            out[:] = np.nan
            return
        buf[i] = x[i]
    heap_sort(buf, n)
    for j in range(len(probs)):
        virtual = (n - 1) * (probs[j] / 100.0)
        k = min(max(int(np.floor(virtual)), 0), n - 1)
        out[j] = lerp(buf[k], buf[min(k + 1, n - 1)], virtual - k)


@njit(cache=True, nogil=True)
def lerp(a, b, t):
    """numpy's ``_lerp``: from ``a`` towards ``b`` by ``t``, computed from ``b``'s side when ``t`` >= 0.5."""
    d = b - a
    return b - d * (1.0 - t) if t >= 0.5 else a + d * t


@njit(cache=True, nogil=True)
def order_index(n, prob):
    """The 0-based rank below numpy's virtual index for percentile ``prob`` of ``n`` values."""
    q = prob / 100.0
    return min(max(int(np.floor(n * q + (1.0 - q) - 1.0)), 0), n - 1)


@njit(cache=True, nogil=True)
def bin_of(below, k):
    """The bin holding the value of rank ``k`` (``below[b]``: values in bins before b)."""
    lo, hi = 0, len(below) - 2
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if below[mid] <= k:
            lo = mid
        else:
            hi = mid - 1
    return lo


@njit(cache=True, nogil=True)
def heap_sort(a, n):
    """Sort ``a[:n]`` in place, ascending (O(n log n) at worst, no recursion, no extra memory)."""
    for root in range(n // 2 - 1, -1, -1):
        sift_down(a, root, n)
    for end in range(n - 1, 0, -1):
        a[0], a[end] = a[end], a[0]
        sift_down(a, np.int64(0), end)  # not a literal 0: sift_down is compiled once, for int64


@njit(cache=True, nogil=True)
def sift_down(a, root, end):
    """Move ``a[root]`` down the max-heap ``a[:end]`` to its place."""
    while True:
        child = 2 * root + 1
        if child >= end:
            return
        if child + 1 < end and a[child] < a[child + 1]:
            child += 1
        if not a[root] < a[child]:
            return
        a[root], a[child] = a[child], a[root]
        root = child
