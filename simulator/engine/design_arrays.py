"""The record's payment designs flattened for the kernels: one row per area, padded tables.

Ladders, rate cards, pooled triggers, control cohorts, service credits, the contract cap,
case-mix choices per measure and the mean-preserving risk-spread tables. Kept apart from
:mod:`.model_arrays` (the TR terms) so each design reads in one place; the fields are
documented on :class:`simulator.kernels.records.ModelArrays`.
"""

from __future__ import annotations

import numpy as np

from ..kernels import records as r
from ..kernels.records import LADDER_BINARY, LADDER_FREQUENCY, LADDER_NONE, NO_REOFFENCE
from ..scenario import Area

_DESIGN_COLUMNS = {
    "bin_adjusted": r.D_BIN_ADJ, "freq_adjusted": r.D_FREQ_ADJ, "bin_on": r.D_BIN_ON, "freq_on": r.D_FREQ_ON,
    "total_cap": r.D_TOTAL_CAP, "pooled": r.D_POOLED, "pooled_bin_target": r.D_POOLED_BIN,
    "pooled_freq_target": r.D_POOLED_FREQ, "ladder_kind": r.D_LADDER_KIND, "ladder_per_offender": r.D_LADDER_PER_OFFENDER,
    "card_n": r.D_CARD_N, "control_ratio": r.D_CONTROL_RATIO, "credit_prob": r.D_CREDIT_PROB,
    "credit_share": r.D_CREDIT_SHARE,
}


def design_fields(areas: list[Area]) -> dict:
    """The design fields of :class:`~simulator.kernels.records.ModelArrays` (all but the per-party ones)."""
    columns = {**_measure_fields(areas), **_ladder_kind_fields(areas), **_area_design_fields(areas),
               "card_n": _col(areas, lambda a: len(a.payment.rate_card))}
    design = np.zeros((len(areas), r.N_DESIGN))
    for name, column in _DESIGN_COLUMNS.items():
        design[:, column] = columns[name]
    used = any(a.payment.ladder or a.payment.rate_card or a.payment.pbr.pooled or a.baseline.control for a in areas)
    return {"design": design, "outcome_tables": _outcome_tables(areas) if used else None,
            **_segment_design_fields(areas)}


def _col(areas: list[Area], fn) -> np.ndarray:
    return np.array([fn(a) for a in areas], dtype=np.float64)


def _measure_fields(areas: list[Area]) -> dict:
    """Case-mix choice per measure, which measures count for 'target met', caps, pooled targets."""
    pbrs = [a.payment.pbr for a in areas]

    def col(fn):
        return np.array([fn(p) for p in pbrs], dtype=np.float64)

    return dict(
        bin_adjusted=col(lambda p: p.binary_case_mix_adjusted),
        freq_adjusted=col(lambda p: p.frequency_case_mix_adjusted),
        # a measure is part of the contract when it has a price or a target
        bin_on=col(lambda p: p.binary_gbp_per_point_per_offender > 0 or
                   (p.trigger == "target" and p.binary_target_points > 0)),
        freq_on=col(lambda p: p.frequency_gbp_per_reoffence > 0 or
                    (p.trigger == "target" and p.frequency_target_relative > 0)),
        total_cap=col(lambda p: np.inf if p.total_cap_gbp is None else p.total_cap_gbp),
        pooled=col(lambda p: p.pooled is not None),
        pooled_bin_target=col(lambda p: p.pooled.binary_target_points / 100.0 if p.pooled else 0.0),
        pooled_freq_target=col(lambda p: p.pooled.frequency_target_relative if p.pooled else 0.0),
    )


def _ladder_kind_fields(areas: list[Area]) -> dict:
    kinds = {"binary": LADDER_BINARY, "frequency": LADDER_FREQUENCY}
    return dict(
        ladder_kind=_col(areas, lambda a: kinds[a.payment.ladder.measure] if a.payment.ladder else LADDER_NONE),
        ladder_per_offender=_col(areas, lambda a: bool(a.payment.ladder and a.payment.ladder.basis == "per_offender")),
    )


def _outcome_tables(areas: list[Area]) -> np.ndarray:
    """(area, 4, width): a ladder's relative falls (inf-padded) and payments, a rate card's prices
    and chances (or NO_REOFFENCE); rows T_* of kernels/records.py."""
    width = max([len(a.payment.ladder.falls_relative) for a in areas if a.payment.ladder]
                + [len(a.payment.rate_card) for a in areas] + [1])
    table = np.zeros((len(areas), 4, width))
    table[:, r.T_FALLS, :] = np.inf
    for i, a in enumerate(areas):
        if a.payment.ladder is not None:
            k = len(a.payment.ladder.falls_relative)
            table[i, r.T_FALLS, :k], table[i, r.T_AMOUNTS, :k] = a.payment.ladder.falls_relative, a.payment.ladder.amounts_gbp
        for k, o in enumerate(a.payment.rate_card):
            table[i, r.T_PRICES, k] = o.price_gbp
            table[i, r.T_CHANCES, k] = NO_REOFFENCE if o.measure == "no_reoffence" else o.probability
    return table


def _area_design_fields(areas: list[Area]) -> dict:
    credits = [a.payment.fee_for_service.service_credits for a in areas]
    return dict(
        control_ratio=_col(areas, lambda a: a.baseline.control.size_ratio if a.baseline.control else 0.0),
        credit_prob=np.array([c.monthly_probability for c in credits]),
        credit_share=np.array([c.share_of_fee for c in credits]),
    )


def _segment_design_fields(areas: list[Area]) -> dict:
    """Historic case mix per segment."""
    n_g = max(len(a.segments) for a in areas)
    hist = np.zeros((len(areas), n_g))
    for i, a in enumerate(areas):
        for g, s in enumerate(a.segments):
            hist[i, g] = s.share if s.historic_share is None else s.historic_share
    return dict(seg_hist_share=hist)
