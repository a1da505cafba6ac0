"""The records the kernels receive: the scenario as flat arrays, and the arrays they fill.

Defined here, beside the code that reads them, because their types are part of every
compiled kernel's signature (and of numba's cache index). The engine fills
:class:`ModelArrays` from a scenario and allocates :class:`Outputs`.

Index conventions: ``a`` area, ``g`` segment (padded to the largest area), ``c`` cohort,
``m`` month from contract start, ``y`` contract year, ``p`` party (per area: prime,
subcontractors, investors).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.experimental import structref

PRIME, SUBCONTRACTOR, INVESTOR = 0, 1, 2  # party kinds
PBR_FIN, CLAWBACK_FIN, INVESTOR_FIN = 0, 1, 2  # financing: plain PbR, upfront with clawback, investor-funded
LADDER_NONE, LADDER_BINARY, LADDER_FREQUENCY = 0, 1, 2  # the measure a ladder climbs on
NO_REOFFENCE = -1.0  # a rate-card outcome's probability slot: the cohort's non-reoffenders, not a chance

# columns of ModelArrays.design (one row per area); flags are 1.0 / 0.0
D_BIN_ADJ = 0  # binary baseline follows the cohort's case mix (else the historic mix)
D_FREQ_ADJ = 1  # the same for the frequency baseline
D_BIN_ON = 2  # the binary measure counts for 'target met' (it has a price or a target)
D_FREQ_ON = 3  # the same for frequency
D_TOTAL_CAP = 4  # most paid in outcome money over the whole contract (inf: none)
D_POOLED = 5  # a pooled trigger over all cohorts, settled with the last cohort
D_POOLED_BIN = 6  # its binary target (a rate, not points)
D_POOLED_FREQ = 7  # its relative frequency target
D_LADDER_KIND = 8  # LADDER_NONE / _BINARY / _FREQUENCY
D_LADDER_PER_OFFENDER = 9  # ladder amounts per offender (else per cohort)
D_CARD_N = 10  # rate-card outcomes
D_CONTROL_RATIO = 11  # control members per treated member (0: historic baseline)
D_CREDIT_PROB = 12  # chance a month's performance fails (service credit)
D_CREDIT_SHARE = 13  # share of that month's fee it costs
N_DESIGN = 14
# rows of ModelArrays.outcome_tables (per area)
T_FALLS, T_AMOUNTS, T_PRICES, T_CHANCES = 0, 1, 2, 3
# columns of ModelArrays.party_design (one row per party)
PD_CAP_ANNUAL = 0  # investor's yearly return cap, -1 = use cap_multiple
PD_REFERRAL_MEAN = 1  # a subcontractor's actual/contracted share: lognormal mean ...
PD_REFERRAL_SD = 2  # ... and log-scale sd, drawn per simulation
N_PARTY_DESIGN = 3


class ModelArrays(NamedTuple):
    # calendar
    n_months: int
    term: int
    bedding_in: int
    ffs_lag: int
    cohort_start: np.ndarray
    cohort_len: np.ndarray
    cohort_pay: np.ndarray
    month_cohort: np.ndarray
    month_year: np.ndarray
    year_end_month: np.ndarray
    discount: np.ndarray
    # shared uncertainty (percentage points)
    shock_mean: float
    shock_sd: float
    trend_per_year: float
    cohort_shock_sd: float
    effect: np.ndarray  # (2, 3): binary points, frequency relative; (kind, a, b)
    # segments (A, G)
    n_segments: np.ndarray
    seg_share: np.ndarray
    seg_rate: np.ndarray
    seg_mu: np.ndarray
    seg_alpha: np.ndarray
    seg_spread: np.ndarray  # logit-scale sd of personal risk: no effect on any law (kernels/individual.py)
    # per-segment true effect bought by spend (points off the binary rate; 0 without a spend table)
    seg_effect_points: np.ndarray  # (A, G) mean
    seg_effect_sd: np.ndarray  # (A, G) sd, times one standard normal per simulation
    seg_effect_drawn: bool  # draw that normal (only when some sd > 0: other runs keep their streams)
    # volume and baseline (A,)
    vol_contracted: np.ndarray
    vol_factor_mean: np.ndarray
    vol_factor_sd: np.ndarray
    vol_noise_sd: np.ndarray
    period_len: int
    base_n: np.ndarray
    stretch: np.ndarray
    # fee for service and foundation (A,)
    ffs_monthly: np.ndarray
    ffs_band_rate: np.ndarray
    learning: np.ndarray
    band: np.ndarray
    band_to_actual: np.ndarray
    foundation: np.ndarray
    # PbR (A,) and pot (A, Y)
    z_crit: np.ndarray
    bin_target: np.ndarray
    freq_target: np.ndarray
    bin_rate: np.ndarray
    bin_ded: np.ndarray
    freq_rate: np.ndarray
    freq_ded: np.ndarray
    freq_per_reoffender: np.ndarray
    hurdle: np.ndarray
    deductions: np.ndarray
    cap_per_offender: np.ndarray
    collar_per_offender: np.ndarray
    pot_year: np.ndarray
    rate_scale_year: np.ndarray
    # parties (P,)
    party_area: np.ndarray
    party_kind: np.ndarray
    area_prime: np.ndarray
    area_stop: np.ndarray  # one past the area's last party: an area's parties are contiguous
    reserves: np.ndarray
    credit_line: np.ndarray
    overdraft_monthly: np.ndarray
    fixed_cost: np.ndarray
    case_cost: np.ndarray  # (P, G)
    caseload_share: np.ndarray
    fee_pass: np.ndarray
    mgmt_fee: np.ndarray
    upside_share: np.ndarray
    deduction_share: np.ndarray
    upfront_share: np.ndarray
    financing: np.ndarray
    clawback_share: np.ndarray
    investor_of: np.ndarray
    margin: np.ndarray
    cap_multiple: np.ndarray
    # ---- the record's designs (issue 10; filled by engine/design_arrays.py), packed into a few
    # arrays: when the kernels took this record as a NamedTuple, field by field, 30 more fields
    # doubled the cold compile time (they take it by reference now, see below).
    design: np.ndarray  # (A, N_DESIGN) per-area design terms, columns D_* below
    party_design: np.ndarray  # (P, N_PARTY_DESIGN) per-party terms, columns PD_* below
    # None when no area has a ladder, rate card, pooled trigger or control group: the kernels then
    # compile without that code (numba prunes `if designs is not None` on a None argument)
    outcome_tables: np.ndarray | None  # (A, 4, W): ladder [T_FALLS] falls (inf-padded), [T_AMOUNTS] payments;
    #                             rate card [T_PRICES] price per person, [T_CHANCES] chance (or NO_REOFFENCE)
    seg_hist_share: np.ndarray  # (A, G) the historic cohort's case mix
    # externally given standard draws (see given.py): rows of the chunk's simulations; none by default
    given: np.ndarray = np.zeros((0, 0))


class Outputs(NamedTuple):
    """Arrays the kernel fills, one row per simulation (see :class:`Results` for meanings)."""

    monthly_net: np.ndarray
    monthly_fee: np.ndarray
    monthly_pbr: np.ndarray
    monthly_cost: np.ndarray
    commissioner_paid: np.ndarray
    commissioner_total: np.ndarray
    commissioner_npv: np.ndarray
    npv: np.ndarray
    peak_funding: np.ndarray
    lowest_headroom: np.ndarray
    first_pbr_month: np.ndarray
    fee_total: np.ndarray
    pbr_total: np.ndarray
    cost_total: np.ndarray
    effect_binary_points: np.ndarray
    effect_frequency_relative: np.ndarray
    cohort_n: np.ndarray
    cohort_binary: np.ndarray
    cohort_frequency: np.ndarray
    cohort_base_binary: np.ndarray
    cohort_base_frequency: np.ndarray
    cohort_pbr: np.ndarray
    cohort_met: np.ndarray  # (sims, A, C) bool: the cohort met its target (a priced or targeted measure paid)
    pooled_pbr: np.ndarray  # (sims, A) the pooled trigger's top-up, paid with the last cohort
    cohort_clawback: np.ndarray  # (sims, A, C) what the prime repaid the commissioner for a missed cohort
    caseload_share: np.ndarray  # (sims, P) each party's actual share of cases (referral risk)


# ---- passing the records by reference
# A NamedTuple reaches a compiled function as one argument per array field (each array is
# several machine words), and every call between kernels passes them all again: with 60
# fields this made most of the cold compile time (a toy of 20 calls on a 60-array tuple
# compiles in 13 s, on a 4-array tuple in 2.5 s). A numba StructRef is one pointer to the
# same arrays, so the kernels take these; the code reading ``m.field`` is unchanged.
class RecordType(types.StructRef):
    """A StructRef type whose fields are typed as the values given (literal numbers as plain ones)."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(t)) for name, t in fields)


@structref.register
class ModelRecord(RecordType):
    """numba's type for :class:`ModelRef` (its fields are those of :class:`ModelArrays`)."""


class ModelRef(structref.StructRefProxy):
    """:class:`ModelArrays` as the kernels receive it: the same arrays, behind one pointer."""


@structref.register
class OutputsRecord(RecordType):
    """numba's type for :class:`OutputsRef`."""


class OutputsRef(structref.StructRefProxy):
    """:class:`Outputs` as the kernels receive it (the arrays are shared, not copied)."""


structref.define_constructor(ModelRef, ModelRecord, ModelArrays._fields)
structref.define_boxing(ModelRecord, ModelRef)
structref.define_constructor(OutputsRef, OutputsRecord, Outputs._fields)
structref.define_boxing(OutputsRecord, OutputsRef)


@njit(cache=True)
def model_ref(m):
    """A :class:`ModelRef` over the arrays of the :class:`ModelArrays` ``m`` (no copy)."""
    return ModelRef(*m)


@njit(cache=True)
def outputs_ref(out):
    """An :class:`OutputsRef` over the arrays of the :class:`Outputs` ``out`` (no copy)."""
    return OutputsRef(*out)
