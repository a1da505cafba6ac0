"""Constrained scalars and the per-simulation distribution type of the scenario schema.

Each validator names its rule, so an error reads ``'volume.factor_sd' must be a log-scale
standard deviation in [0, 5] (got 7.0)``. :func:`field_error` lets a cross-field check
point at one key of its table.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# ---------------------------------------------------------------- constrained scalars


MAX_GBP = 1e12
MAX_MONTHS = 1200
MAX_ABS = 1e9


def _unit(v: float) -> float:
    if not (0.0 <= v <= 1.0) or math.isnan(v):
        raise ValueError("must be in [0, 1]")
    return v


def _non_negative(v: float) -> float:
    if not (0.0 <= v <= MAX_ABS):
        raise ValueError(f"must be a number in [0, {MAX_ABS:g}]")
    return v


def _money(v: float) -> float:
    if not (0.0 <= v <= MAX_GBP):
        raise ValueError(f"must be an amount in GBP in [0, {MAX_GBP:g}]")
    return v


def _positive(v: float) -> float:
    if not (0.0 < v <= MAX_ABS):
        raise ValueError(f"must be a number > 0 and <= {MAX_ABS:g}")
    return v


def _finite(v: float) -> float:
    if not (-MAX_ABS <= v <= MAX_ABS):
        raise ValueError(f"must be a finite number in [-{MAX_ABS:g}, {MAX_ABS:g}]")
    return v


def _non_negative_int(v: int) -> int:
    if not (0 <= v <= MAX_MONTHS):
        raise ValueError(f"must be a whole number of months in [0, {MAX_MONTHS}]")
    return v


def _positive_int(v: int) -> int:
    if not (1 <= v <= MAX_MONTHS):
        raise ValueError(f"must be a whole number of months in [1, {MAX_MONTHS}]")
    return v


def _count(v: int) -> int:
    if not (0 <= v <= 100_000_000):
        raise ValueError("must be a whole number in [0, 100000000]")
    return v


def _cases(v: float) -> float:
    if not (0.0 < v <= 1_000_000):
        raise ValueError("must be a number of cases > 0 and <= 1000000")
    return v


def _sd(v: float) -> float:
    if not (0.0 <= v <= 5.0):
        raise ValueError("must be a log-scale standard deviation in [0, 5]")
    return v


Unit = Annotated[float, AfterValidator(_unit)]
Money = Annotated[float, AfterValidator(_money)]
NonNeg = Annotated[float, AfterValidator(_non_negative)]
Pos = Annotated[float, AfterValidator(_positive)]
Finite = Annotated[float, AfterValidator(_finite)]
Months = Annotated[int, AfterValidator(_non_negative_int)]
PosMonths = Annotated[int, AfterValidator(_positive_int)]
Count = Annotated[int, AfterValidator(_count)]
LogSd = Annotated[float, AfterValidator(_sd)]
MAX_NAME = 64  # party, area and segment names become file names and sheet titles
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=r"^[A-Za-z0-9_\- ]+$")]


_SEP = "\x1f"


def field_error(field: str, rule: str, value: object) -> ValueError:
    """A cross-field error that still points at one key: ``field`` relative to the table."""
    return ValueError(f"{_SEP}{field}{_SEP}{rule}{_SEP}{value!r}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# ---------------------------------------------------------------- distributions

DIST_KINDS = {"fixed": 0, "normal": 1, "uniform": 2}


class Distribution(_Model):
    """A scalar drawn once per simulation: fixed value, normal(mean, sd) or uniform(low, high)."""

    dist: Literal["fixed", "normal", "uniform"] = "fixed"
    value: Finite = 0.0
    mean: Finite = 0.0
    sd: NonNeg = 0.0
    low: Finite = 0.0
    high: Finite = 0.0

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        uses = {"fixed": ("value",), "normal": ("mean", "sd"), "uniform": ("low", "high")}[self.dist]
        unused = {k for k in self.model_fields_set - {"dist", *uses} if getattr(self, k) != 0.0}
        for key in sorted(unused):
            raise field_error(key, f"does not apply to dist = '{self.dist}' (which uses {', '.join(uses)}); "
                              "set dist or remove the key", getattr(self, key))
        if self.dist == "uniform" and self.high < self.low:
            raise field_error("high", f"must be >= low ({self.low})", self.high)
        return self

    def params(self) -> tuple[int, float, float]:
        """(kind code, a, b) for the kernels."""
        if self.dist == "fixed":
            return 0, self.value, 0.0
        if self.dist == "normal":
            return 1, self.mean, self.sd
        return 2, self.low, self.high

    def expected(self) -> float:
        kind, a, b = self.params()
        return a if kind < 2 else 0.5 * (a + b)
