"""Compile part of the kernels in a second process while the first compiles the rest.

numba compiles one function at a time per process (a global lock), so a fresh install's
first run used one core of two. The CLI starts this module beside the run when the kernels
are not in the cache yet. It compiles, for exactly the argument types of the run:

1. :func:`~simulator.kernels.cohorts.simulate_area_cohorts` (a third of the engine's
   compile), from a signature built here with ``numba.typeof`` on the same arrays the run
   builds (:func:`engine_signatures`);
2. the monthly fold, by folding one block of zero flows into a :class:`MonthlyStats` of the
   same scenario (the run folds its first piece as soon as it has simulated it);
3. the kernels ``simulate_one`` calls after the area kernel, in reverse order: the run reaches
   them in forward order when it has compiled what comes before, so the two meet in the middle
   instead of compiling the same ones;
4. the percentiles, by finishing that block (the run needs them only at its end).

Each kernel comes as late as the run can wait for it, so that neither process waits long for
the other.

Each is saved in numba's cache (written whole: a temporary file, then a rename) and named
on this process's stdout when done. The run loads each from the cache when it gets there;
for the area kernel and the monthly ones, which this process has started before the run
needs them, :meth:`SideCompile.hold` makes the run wait for the name instead of compiling
the same function beside it (a race lost by a fraction of a second cost 6 s). Should this
process fail, be late, or get a type wrong, the run compiles the function itself: only time
is at stake (``tests/test_side_compile.py`` checks that the run compiles none of them).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

import numba
import numpy as np
from numba import types
from numba.core.dispatcher import Dispatcher

from ..kernels.cashflows import delivery_costs, foundation_and_settlement, investor_funding, pass_down_outcomes, volume_band
from ..kernels.cohorts import simulate_area_cohorts
from ..kernels.financing import prime_settlement, service_credits
from ..kernels.individual import make_count_tables
from ..kernels.monthly import monthly_percentiles, reduce_months
from ..kernels.records import ModelArrays, ModelRecord, OutputsRecord
from ..kernels.simulate import party_balances
from ..scenario import Scenario
from .model_arrays import build_model_arrays
from .monthly_stats import MonthlyStats
from .outputs import allocate_outputs

BLOCK = 64  # simulations of the dummy piece: any size has the same types
STALL = 20.0  # seconds without a kernel finished after which the run gives up on the side process (the longest
# kernel, simulate_area_cohorts, takes ~6 s on 2 cores, ~7 s after the process starts)


def record_type(record: type, values: tuple) -> types.Type:
    """The StructRef type the kernels see for a NamedTuple passed through ``model_ref``/``outputs_ref``."""
    return record([(name, numba.typeof(v)) for name, v in zip(values._fields, values, strict=True)])


def engine_signatures(m: ModelArrays) -> list[tuple[Dispatcher, tuple]]:
    """The kernels ``simulate_one`` calls from ``simulate_area_cohorts`` on, with the argument types it passes.

    Mirrors the calls in :func:`~simulator.kernels.simulate.simulate_one` (keep them in step:
    a wrong type costs only the time of compiling a specialization nobody uses, and
    ``tests/test_side_compile.py`` fails). Every output array has the same type whether
    monthly flows are kept, summarised or dropped (C-contiguous, one dtype each), so one
    output record of one simulation stands for all; the workspace arrays are built as
    ``make_workspace`` builds them.
    """
    t, f8, i8, flag = numba.typeof, types.float64, types.int64, types.boolean
    out = allocate_outputs(m, 1, keep_monthly=True, keep_components=True)
    model, outputs = record_type(ModelRecord, m), record_type(OutputsRecord, out)
    w = _workspace(m)
    gen, prime, paid = t(np.random.default_rng(0)), m.area_prime[0], t(out.commissioner_paid[0])
    fee, adv, pbr, cost, deferred, received = (t(x) for x in (w.fee, w.adv, w.pbr, w.cost, w.deferred, w.received))
    vol, share, net_c, met_c = t(w.vol), t(w.share), t(w.net_c), t(w.met_c)
    return [
        (simulate_area_cohorts, (gen, model, i8, vol, t(w.base_rate), t(w.base_mu), f8, f8, f8, i8, outputs, net_c,
                                 met_c, flag, t(w.tables), t(w.terms[0]), t(w.pool), f8, t(m.outcome_tables))),
        (service_credits, (gen, t(m.design[0]), t(prime), t(m.ffs_monthly[0]), t(m.learning[0]), t(m.month_year), i8,
                           i8, fee, paid)),
        (volume_band, (model, i8, vol, share, fee, paid, deferred, received)),
        (foundation_and_settlement, (model, i8, net_c, adv, pbr, paid, t(w.adv_c))),
        (prime_settlement, (t(prime), t(m.financing[prime]), t(m.upfront_share[prime]), t(m.clawback_share[prime]),
                            t(m.cohort_pay), met_c, pbr, paid, deferred, received, t(out.cohort_clawback[0, 0]))),
        (pass_down_outcomes, (model, i8, net_c, met_c, share, pbr, deferred, received)),
        (delivery_costs, (model, i8, vol, share, cost)),
        (investor_funding, (model, i8, fee, pbr, cost)),
        (party_balances, (model, i8, i8, fee, adv, pbr, cost, outputs, flag, flag)),
    ]


def _workspace(m: ModelArrays) -> SimpleNamespace:
    """Arrays shaped and typed as ``make_workspace`` makes them (only their types are used)."""
    n_p, n_c, n_g, n_m = len(m.party_kind), len(m.cohort_start), m.seg_share.shape[1], m.n_months
    z = np.zeros
    return SimpleNamespace(fee=z((n_p, n_m)), adv=z((n_p, n_m)), pbr=z((n_p, n_m)), cost=z((n_p, n_m)),
                           deferred=z((n_p, n_c)), received=z((n_p, n_c)), vol=z(m.term), base_rate=z(n_g),
                           base_mu=z(n_g), net_c=z(n_c), adv_c=z(n_c), tables=make_count_tables.py_func(n_g),
                           terms=z((len(m.area_prime), n_c, 4)), met_c=z(n_c, dtype=np.bool_), share=z(n_p),
                           pool=z(7))


def compile_side(scenario: Scenario, done=lambda name: None, *, monthly: bool = True) -> None:
    """Compile (and cache) for the scenario's run the area kernel, then (``monthly``) the monthly fold, then the
    other kernels of :func:`engine_signatures` in reverse order, then (``monthly``) the percentiles (see the
    module's docstring); ``done(name)`` after each."""
    m, calendar = build_model_arrays(scenario)
    area, *rest = engine_signatures(m)
    compile_kernels([area], done)
    percentiles = compile_monthly(scenario, m, calendar.cohort_pay_month, done) if monthly else None
    compile_kernels(rest[::-1], done)
    if percentiles is not None:
        percentiles()


def compile_kernels(signatures: list[tuple[Dispatcher, tuple]], done=lambda name: None) -> None:
    for kernel, signature in signatures:
        kernel.compile(signature)
        done(kernel.py_func.__name__)


def compile_monthly(scenario: Scenario, m: ModelArrays, cohort_pay_month: np.ndarray,
                    done=lambda name: None) -> Callable[[], None]:
    """Fold one piece of zero flows into a :class:`MonthlyStats` of the scenario's run (``m`` and the cohorts'
    pay months: :func:`build_model_arrays`; its fold kernel is then compiled and cached); returns what finishes
    that piece, compiling the percentiles, which a run needs only at its end."""
    stats = MonthlyStats(scenario, m, cohort_pay_month, BLOCK, BLOCK)
    sums = stats.chunk_state(0, BLOCK)["stats_sums"]
    net, fee, pbr, cost = (b[:BLOCK] for b in stats.buffer)
    stats.fold(net, fee, pbr, cost, 0, sums)
    done(reduce_months.py_func.__name__)

    def percentiles() -> None:
        stats.add_chunk(sums)
        stats.finish(BLOCK)
        for kernel in PERCENTILES:
            done(kernel.py_func.__name__)
    return percentiles


PERCENTILES = (monthly_percentiles,)
HELD = (simulate_area_cohorts, reduce_months, *PERCENTILES)  # the run waits for these (see SideCompile.hold)


class SideCompile:
    """The side process, as the run sees it: which kernels it has finished, and waits for them.

    A thread reads the names the process prints; at its end (done, killed or failed) every
    wait returns, and the run compiles what it still lacks. A process that prints nothing for
    :data:`STALL` seconds is given up on: no wait then or later waits for it.
    """

    def __init__(self, process: subprocess.Popen, *, monthly: bool = True):
        self.process = process
        self.monthly = monthly
        self.done: set[str] = set()
        self.ended = False
        self.last_news = time.monotonic()
        self._changed = threading.Condition()
        self._held: list = []
        threading.Thread(target=self._read, name="pbrsim-side-compile", daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.process.stdout:
                with self._changed:
                    self.done.add(line.decode(errors="replace").strip())
                    self.last_news = time.monotonic()
                    self._changed.notify_all()
        finally:
            with self._changed:
                self.ended = True
                self._changed.notify_all()
            self.process.stdout.close()

    def wait_for(self, name: str, stall: float = STALL) -> bool:
        """Wait until the process has compiled ``name`` (True), or has ended, or has printed nothing for
        ``stall`` seconds (False; then no later wait waits)."""
        with self._changed:
            while name not in self.done and not self.ended:
                left = self.last_news + stall - time.monotonic()
                if left <= 0:
                    self.ended = True  # stalled: given up on
                    break
                self._changed.wait(left)
            return name in self.done

    def hold(self, kernels=None) -> None:
        """Make this process wait for the side process before compiling any of ``kernels`` itself
        (default: :data:`HELD`, without the monthly kernels when the process does not compile them).

        numba looks in its cache before it compiles (``Dispatcher.compile``): on a miss the
        wrapped lookup waits for the kernel's name, then looks again. The wait holds numba's
        compiler lock, as compiling the kernel would. Only time is at stake, so anything
        unexpected in numba's internals leaves the kernel unwrapped.
        """
        for kernel in kernels or (HELD if self.monthly else HELD[:1]):
            try:
                cache = kernel._cache
                wrapper = self._waiting(cache.load_overload, vars(cache).get("load_overload"), kernel.py_func.__name__)
                cache.load_overload = wrapper
            except (AttributeError, TypeError):
                continue
            self._held.append((cache, wrapper))

    def _waiting(self, load, before, name: str):
        def load_overload(sig, target_context):
            found = load(sig, target_context)
            if found is None and load_overload.holding and self.wait_for(name):
                found = load(sig, target_context)
            return found

        load_overload.holding, load_overload.before = True, before  # what release() puts back
        return load_overload

    def release(self) -> None:
        """Undo :meth:`hold`. A wrapper another holder has wrapped again stops waiting and is taken
        out when that holder releases."""
        for cache, wrapper in self._held:
            wrapper.holding = False
            current = vars(cache).get("load_overload")
            while current is not None and getattr(current, "holding", True) is False:
                current = current.before  # peel every released wrapper off the top
            if current is None:
                vars(cache).pop("load_overload", None)
            else:
                cache.load_overload = current
        self._held.clear()

    def stop(self) -> None:
        """Release the holds and stop the process if it is still compiling."""
        self.release()
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def start_beside(scenario: Scenario, *, monthly: bool = True) -> SideCompile | None:
    """Start :func:`compile_side` (with the monthly kernels when ``monthly``) for ``scenario`` in a child
    process. None if it cannot start: the run then compiles everything itself, so no failure
    here may stop it. The scenario goes to the child's stdin from a thread: a national
    scenario's JSON fills the pipe before the child has imported what reads it.
    """
    child = None
    try:
        text = scenario.model_dump_json().encode()
        child = subprocess.Popen([sys.executable, "-m", __name__, *(["monthly"] if monthly else [])],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        threading.Thread(target=_feed, args=(child.stdin, text), name="pbrsim-side-feed", daemon=True).start()
        return SideCompile(child, monthly=monthly)
    except Exception:  # noqa: BLE001  (only time is at stake)
        if child is not None:
            child.kill()
            child.wait()
        return None


def _feed(pipe, text: bytes) -> None:
    try:
        with pipe:
            pipe.write(text)
    except OSError:  # the child is gone: its reader sees the end and every wait returns
        pass


def _say_done(name: str) -> None:
    print(name, flush=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    scenario = Scenario.model_validate_json(sys.stdin.buffer.read())
    compile_side(scenario, _say_done, monthly="monthly" in sys.argv[1:])
