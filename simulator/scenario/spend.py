"""How a provider's spend per case buys effect on one risk segment (optional, per segment).

A segment's ``spend_effect`` table states the true reduction of its binary reoffending rate
(percentage points; negative = reoffending rises above the baseline) when delivery spends
``spend_gbp`` per case on it, with an optional standard deviation of that reduction::

    [[segments]]
    name = "short_custody"
    cost_per_case_gbp = 2000
    spend_effect = { spend_gbp = [1000, 2000, 3000], points = [-3.0, 1.0, 2.0], sd_points = [0.5, 0.5, 0.8] }

Between the listed spends the effect is interpolated linearly; beyond the ends it stays at
the end values (spending more than the last point buys nothing more). The uncertainty is
one standard normal draw per simulation shared by every segment and area (is the work as
effective as stated?), scaled by ``sd_points`` at the spend. The model applies the curve at
each party's cost per case for the segment, weighted by its caseload share; the effect adds
to ``effect.binary_points`` (set that to 0 when the curves carry the whole effect).
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, model_validator

from .fields import Finite, Money, NonNeg, _Model, field_error


class SpendEffect(_Model):
    """Effect in points on a segment's binary rate as a piecewise-linear function of spend per case (GBP)."""

    spend_gbp: list[Money] = Field(min_length=1)
    points: list[Finite] = Field(min_length=1)
    sd_points: list[NonNeg] | None = None

    @model_validator(mode="after")
    def _check(self) -> SpendEffect:
        n = len(self.spend_gbp)
        if any(b <= a for a, b in zip(self.spend_gbp, self.spend_gbp[1:], strict=False)):
            raise field_error("spend_gbp", "must be strictly increasing", self.spend_gbp)
        if len(self.points) != n:
            raise field_error("points", f"must have one value per spend_gbp value ({n})", self.points)
        if self.sd_points is not None and len(self.sd_points) != n:
            raise field_error("sd_points", f"must have one value per spend_gbp value ({n})", self.sd_points)
        return self

    def points_at(self, spend_gbp: float) -> float:
        """The effect (points) at a spend per case, interpolated linearly, flat beyond the ends."""
        return float(np.interp(spend_gbp, self.spend_gbp, self.points))

    def sd_at(self, spend_gbp: float) -> float:
        """The standard deviation of the effect (points) at a spend per case (0 when not given)."""
        if self.sd_points is None:
            return 0.0
        return float(np.interp(spend_gbp, self.spend_gbp, self.sd_points))
