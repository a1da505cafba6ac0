"""Contract months as calendar months, when a scenario gives ``timeline.start_date``.

Month 0 is the month holding the start date. UK public-sector financial years run April
to March: the year starting April 2015 is "2015-16". Without a start date, months stay
numbers from contract start and there are no financial years.
"""

from __future__ import annotations

from datetime import date

import numpy as np

FY_START_MONTH = 4  # April


def month_start(start: date, month: int) -> date:
    """The first day of contract month ``month`` (0 = the month of ``start``)."""
    index = start.year * 12 + start.month - 1 + int(month)
    return date(index // 12, index % 12 + 1, 1)


def month_text(start: date | None, month: int) -> str:
    """``'Feb 2015'`` for a dated contract, else ``'month 12'``."""
    return f"month {int(month)}" if start is None else month_start(start, month).strftime("%b %Y")


def financial_year(start: date, month: int) -> str:
    """The April-March financial year holding contract month ``month``: ``'2015-16'``."""
    day = month_start(start, month)
    first = day.year if day.month >= FY_START_MONTH else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def contract_year(month: int) -> int:
    """Contract year (1 = months 0-11) of a month from contract start."""
    return int(month) // 12 + 1


def month_dates(start: date, n_months: int) -> np.ndarray:
    """``datetime64[D]`` first days of months 0 .. n_months - 1."""
    return np.array([month_start(start, m) for m in range(n_months)], dtype="datetime64[D]")
