"""Monthly cash flows kept as statistics: what the figures and the workbook show, without every month.

A national run at 10,000 simulations has 2.2 GB of monthly flows (63 parties x 109 months x
4 flows); its outputs show only percentiles, means and cash-out months
(:mod:`simulator.results.monthly`). So each chunk is simulated in pieces of
:data:`PIECE_BLOCKS` blocks into one reused buffer, and each piece is folded by
:func:`~simulator.kernels.monthly.reduce_months` into float32 net flows (parties x months x
sims), the settlement months' outcome money, yearly sums, cash-out months and sums; at the
end :meth:`MonthlyStats.finish` computes the percentiles exactly (numpy's 'linear' method).
Pieces use the same per-block Generators as whole chunks, so the statistics do not depend
on the piece size, the thread count or a resume.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from ..errors import ResourceError
from ..kernels.monthly import column_percentiles, party_percentiles, reduce_months, total_percentiles
from ..kernels.records import ModelArrays, Outputs
from ..results.monthly import BANDS, FLOWS, TAILS, pay_months, year_columns
from ..scenario import Scenario
from .outputs import available_memory, mapped_zeros, output_bytes
from .threads import simulate_blocks

PIECE_BLOCKS = 4  # blocks simulated into the reused monthly buffer at a time


class MonthlyStats:
    """The per-simulation state of a run's monthly statistics, filled piece by piece."""

    def __init__(self, scenario: Scenario, m: ModelArrays, cohort_pay_month: np.ndarray, sims: int, block_size: int,
                 *, ahead: bool = True):
        """``ahead``: map the per-simulation arrays now (see :func:`~.outputs.allocate_outputs`)."""
        zeros = mapped_zeros if ahead else np.zeros
        n_p, n_m = len(m.party_kind), m.n_months
        self.pay = pay_months(cohort_pay_month, n_m)
        self.year_of = year_columns(scenario.timeline.start_date, n_m)
        self.reserves, self.credit = np.asarray(m.reserves, dtype=float), np.asarray(m.credit_line, dtype=float)
        rows = PIECE_BLOCKS * block_size
        self.buffer = tuple(np.zeros((rows, n_p, n_m)) for _ in FLOWS)
        self.net32 = zeros((n_p, n_m, sims), dtype=np.float32)
        self.pay_pbr = zeros((sims, n_p, len(self.pay)), dtype=np.float32)
        self.year_net = zeros((sims, n_p, int(self.year_of.max()) + 1), dtype=np.float32)
        self.cash_out = zeros((sims, n_p), dtype=np.int32)
        self.sums = np.zeros((len(FLOWS), n_p, n_m))
        self.block_size = block_size
        self.party_sets = _split(n_p)
        self.pool = ThreadPoolExecutor(len(self.party_sets))  # the kernels release the GIL

    def chunk_state(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """Views of what a chunk of simulations ``start:stop`` adds (saved in and loaded from checkpoints), and
        its sums (``stats_sums``): a fresh array of its own, which :meth:`run_chunk` adds to and :meth:`add_chunk`
        counts (a checkpoint may still be writing the last chunk's; a resume reads several chunks at once).
        """
        return {"stats_net32": self.net32[:, :, start:stop], "stats_pay_pbr": self.pay_pbr[start:stop],
                "stats_year_net": self.year_net[start:stop], "stats_cash_out": self.cash_out[start:stop],
                "stats_sums": np.zeros_like(self.sums)}

    def run_chunk(self, m: ModelArrays, chunk: Outputs, gens_for, start: int, individual: bool,
                  sums: np.ndarray) -> None:
        """Simulate a chunk (rows of ``chunk``, from simulation ``start``) piece by piece, folding each piece
        into the statistics and the chunk's ``sums`` (its ``stats_sums``).

        ``gens_for(first_block)`` gives the Generators of blocks from ``first_block`` (of the chunk).
        """
        rows, step = chunk.npv.shape[0], PIECE_BLOCKS * self.block_size
        for lo in range(0, rows, step):
            hi = min(rows, lo + step)
            n = hi - lo
            net, fee, pbr, cost = (b[:n] for b in self.buffer)
            piece = Outputs(*(getattr(chunk, k)[lo:hi] for k in Outputs._fields))
            piece = piece._replace(monthly_net=net, monthly_fee=fee, monthly_pbr=pbr, monthly_cost=cost)
            simulate_blocks(gens_for(lo // self.block_size), self.block_size, m, piece, True, True, individual)
            self.fold(net, fee, pbr, cost, start + lo, sums)

    def fold(self, net: np.ndarray, fee: np.ndarray, pbr: np.ndarray, cost: np.ndarray, row0: int,
             sums: np.ndarray) -> None:
        """Fold a piece's monthly flows (simulations from ``row0``) into the statistics and ``sums``, parties split
        over threads."""
        kept = (self.net32, self.pay_pbr, self.year_net, self.cash_out, sums)
        jobs = [self.pool.submit(reduce_months, net, fee, pbr, cost, row0, h, self.reserves, self.credit, self.pay,
                                 self.year_of, kept) for h in self.party_sets]
        [job.result() for job in jobs]

    def add_chunk(self, chunk_sums: np.ndarray) -> None:
        """Count a chunk's sums (its ``stats_sums``, simulated or loaded) into the run's: chunk by chunk, in order."""
        self.sums += chunk_sums

    def finish(self, sims: int) -> dict[str, np.ndarray]:
        """The statistics arrays of the first ``sims`` simulations (see :mod:`simulator.results.monthly`)."""
        net32 = self.net32 if sims == self.net32.shape[2] else np.ascontiguousarray(self.net32[:, :, :sims])
        n_p, n_m = net32.shape[:2]
        probs = np.array(BANDS)
        net_q, cash_q, total_q = np.zeros((len(BANDS), n_p, n_m)), np.zeros((len(BANDS), n_p, n_m)), np.zeros((len(BANDS), n_m))
        with self.pool:  # the parties on the pool's threads, the rest on this one meanwhile
            jobs = [self.pool.submit(party_percentiles, net32, h, self.reserves, probs, net_q, cash_q)
                    for h in self.party_sets]
            total_percentiles(net32, self.reserves.sum(), probs, total_q)
            settle_q, year_q = _tails(self.pay_pbr[:sims]), _tails(self.year_net[:sims])
            [job.result() for job in jobs]
        return {"monthly_mean": self.sums / sims, "monthly_net_q": net_q, "cash_q": cash_q, "cash_total_q": total_q,
                "settle_pbr_q": settle_q, "year_net_q": year_q, "cash_out_month": self.cash_out[:sims].copy()}


def _split(n_parties: int) -> list[np.ndarray]:
    """Parties in as many interleaved sets as numba has threads (each set's work is then alike)."""
    k = max(1, min(numba.get_num_threads(), n_parties))
    return [np.arange(i, n_parties, k) for i in range(k)]


def _tails(x: np.ndarray) -> np.ndarray:
    """5th and 95th percentiles over simulations of ``x`` (sims x parties x k): 2 x parties x k."""
    flat = np.ascontiguousarray(x.reshape(x.shape[0], -1))
    out = np.zeros((len(TAILS), flat.shape[1]))
    if flat.shape[1]:
        column_percentiles(flat, np.array(TAILS), out)
    return out.reshape((len(TAILS), *x.shape[1:]))


def check_stats_memory(m: ModelArrays, sims: int, block_size: int) -> None:
    """Refuse, before allocating, a run whose outputs and statistics would not fit in memory."""
    n_p, n_m = len(m.party_kind), m.n_months
    per_sim = n_p * (4 * n_m + 4 * 2 * (n_m // 12 + 2) + 4 * len(m.cohort_pay) + 4)  # float32 net, years, settlements
    need = sims * per_sim + len(FLOWS) * PIECE_BLOCKS * block_size * n_p * n_m * 8
    need += output_bytes(m, sims, keep_monthly=False, keep_components=False)
    if need > 0.8 * available_memory():
        raise ResourceError(f"{sims:,} simulations need about {need / 2**30:.1f} GiB for their outputs and monthly "
                            f"statistics but {available_memory() / 2**30:.1f} GiB is available: run fewer "
                            "simulations or drop the monthly cash flows (--no-monthly)")

