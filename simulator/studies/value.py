"""What the commissioner buys: the true fall in reoffending per simulation, for value for money.

From the drawn true effects (the scenario's binary and frequency effects, plus any effect
bought by spend on a segment) and the simulated cohort sizes:

- ``points``: the fall of the contract's binary reoffending rate, percentage points,
  weighted by offenders over every area and segment;
- ``reoffences_avoided``: the expected proven reoffences avoided over every cohort,
  ``sum n_g (p_g mu_g - p'_g mu'_g)`` with ``p' = p - effect`` and ``mu' = mu (1 - f)``.

Shocks are left out: they move the counterfactual and the actual rates alike. Cohort
segments are taken at their shares of the cohort (the engine rounds each to whole offenders).
"""

from __future__ import annotations

import numpy as np

from ..engine.model_arrays import build_model_arrays
from ..kernels.outcomes import RATE_FLOOR
from ..results import Results


def true_reductions(results: Results) -> tuple[np.ndarray, np.ndarray]:
    """(points, reoffences_avoided), one value per simulation; see the module docstring."""
    m, _ = build_model_arrays(results.scenario)
    a = results.arrays
    offenders = a["cohort_n"].sum(axis=2).astype(float)  # sims x areas
    e_bin, e_freq = a["effect_binary_points"], a["effect_frequency_relative"]
    points_sum = np.zeros(len(e_bin))
    avoided = np.zeros(len(e_bin))
    for i in range(offenders.shape[1]):
        g = int(m.n_segments[i])
        share, rate, mu = m.seg_share[i, :g], m.seg_rate[i, :g], m.seg_mu[i, :g]
        effect = e_bin[:, None] + m.seg_effect_points[i, :g][None, :]  # sims x segments, points
        after = np.clip(rate - effect / 100.0, RATE_FLOOR, 1.0 - RATE_FLOOR)
        mu_after = np.maximum(1.0, mu[None, :] * (1.0 - e_freq[:, None]))
        per_offender = (share * (rate * mu - after * mu_after)).sum(axis=1)
        points_sum += offenders[:, i] * (share * effect).sum(axis=1)
        avoided += offenders[:, i] * per_offender
    total = offenders.sum(axis=1)
    return np.divide(points_sum, total, out=np.zeros_like(points_sum), where=total > 0), avoided
