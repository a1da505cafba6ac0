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

PRIME, SUBCONTRACTOR, INVESTOR = 0, 1, 2  # party kinds
PBR_FIN, CLAWBACK_FIN, INVESTOR_FIN = 0, 1, 2  # financing: plain PbR, upfront with clawback, investor-funded


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
    seg_spread: np.ndarray  # logit-scale sd of personal risk (individual mode)
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
