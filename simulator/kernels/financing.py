"""Money rules of the record between the commissioner, the prime and its subcontractors.

- the prime's own financing deal with the commissioner: a share of its fee held back per
  cohort (paid when the cohort meets its target), or the whole fee paid with a share of it
  repaid when a cohort misses (Doncaster: "the full payment is made to the prime each year
  with 10% at risk, to be repaid in the event of failure");
- referral risk: each subcontractor's actual share of the cases drawn per simulation around
  its contracted share (fixed costs stay; "bid candy"; the Work Programme's hardest group
  arrived at 39% of forecast);
- service credits: a month's fee cut when performance fails.

Every transfer books the payer with a minus and the payee with a plus (see :mod:`.cashflows`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .cashflows import payee_of, transfer
from .outcomes import lognormal_factor
from .records import CLAWBACK_FIN, D_CREDIT_PROB, D_CREDIT_SHARE, PD_REFERRAL_MEAN, PD_REFERRAL_SD, SUBCONTRACTOR


@njit(cache=True)
def prime_settlement(prime, kind, upfront, claw_share, pay, met_c, pbr, commissioner, deferred, received,
                     clawback_out):
    """At each cohort's settlement: the prime's held-back fee if the cohort met its target, or
    its clawback (``claw_share`` of the fee it received for the cohort's months) if it missed.

    ``prime``: its party index; ``kind``, ``upfront``: its financing and upfront share;
    ``pay``: each cohort's settlement month; ``clawback_out``: this simulation's row of
    clawbacks per cohort (GBP repaid, >= 0). Arrays and scalars only, not the model record:
    every function that takes the record adds to the simulation kernel's compile time.
    """
    clawback = kind == CLAWBACK_FIN
    if not clawback and upfront >= 1.0:
        return  # nothing held back, nothing at risk: the common case costs nothing
    for c in range(len(met_c)):
        if met_c[c]:
            amount = deferred[prime, c]
        elif clawback:
            amount = -claw_share * received[prime, c]
            clawback_out[c] = -amount
        else:
            continue
        if amount != 0.0:
            pbr[prime, pay[c]] += amount
            commissioner[pay[c]] += amount


@njit(cache=True)
def referral_shares(gen, prime, stop, contracted, kind, terms, share):
    """This simulation's share of cases for the parties ``prime`` to ``stop - 1`` of one area
    (``share`` filled in place); True when they differ from the ``contracted`` shares.

    A subcontractor gets its contracted share times a lognormal factor (mean and log-scale sd
    ``terms[p, PD_REFERRAL_*]``; drawn only when the sd is positive); if the shares would add up
    to more than all the cases they are scaled down together; the prime delivers the rest.
    """
    risky = False
    for p in range(prime, stop):
        share[p] = contracted[p]
        risky = risky or (kind[p] == SUBCONTRACTOR and (terms[p, PD_REFERRAL_SD] > 0.0 or
                                                         terms[p, PD_REFERRAL_MEAN] != 1.0))
    if not risky:
        return False
    total = 0.0
    for p in range(prime + 1, stop):
        share[p] = 0.0
        if kind[p] == SUBCONTRACTOR:
            share[p] = contracted[p] * lognormal_factor(gen, terms[p, PD_REFERRAL_MEAN], terms[p, PD_REFERRAL_SD], np.nan)
            total += share[p]
    if total > 1.0:
        for p in range(prime + 1, stop):
            share[p] /= total
        total = 1.0
    share[prime] = 1.0 - total
    return True


@njit(cache=True)
def rescale_fee_shares(prime, stop, contracted, kind, investor_of, share, fee, deferred, received, scheduled_fee):
    """Move the monthly fees a subcontractor was scheduled at its contracted share to its actual
    share: the prime passes down (actual / contracted - 1) times more, and the fees it holds
    or has paid per cohort scale the same way. ``scheduled_fee``: the fees before this run."""
    for p in range(prime + 1, stop):
        if kind[p] != SUBCONTRACTOR or contracted[p] <= 0.0 or share[p] == contracted[p]:
            continue
        ratio = share[p] / contracted[p]
        dst = payee_of(investor_of, p)
        for mo in range(fee.shape[1]):
            if scheduled_fee[dst, mo] != 0.0:
                transfer(fee, prime, dst, mo, (ratio - 1.0) * scheduled_fee[dst, mo])
        for c in range(deferred.shape[1]):
            deferred[p, c] *= ratio
            received[p, c] *= ratio


@njit(cache=True)
def service_credits(gen, design, prime, monthly_fee, learning, month_year, term, lag, fee, commissioner):
    """Performance penalties: each of the ``term`` months fails with ``design[D_CREDIT_PROB]`` and
    its fee (``monthly_fee`` less the learning-curve discount, paid ``lag`` months in arrears) is
    cut by ``design[D_CREDIT_SHARE]``; the prime bears the cut. Draws only when set."""
    prob, cut = design[D_CREDIT_PROB], design[D_CREDIT_SHARE]
    if prob <= 0.0 or cut <= 0.0:
        return
    for mo in range(term):
        if gen.random() < prob:
            amount = cut * monthly_fee * (1.0 - learning) ** month_year[mo]
            fee[prime, mo + lag] -= amount
            commissioner[mo + lag] -= amount
