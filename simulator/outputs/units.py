"""How money reads to a person: GBP in pounds, thousands or millions."""

from __future__ import annotations


def gbp_text(x: float | None, *, digits: int = 2) -> str:
    """``-1234567`` -> ``-£1.23m`` (``digits`` decimals for millions); ``None`` -> ``-``."""
    if x is None:
        return "-"
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1e6:
        return f"{sign}£{x / 1e6:,.{digits}f}m"
    if x >= 1e3:
        return f"{sign}£{x / 1e3:,.0f}k"
    return f"{sign}£{x:,.0f}"


def gbp_exact(x: float | None) -> str:
    """``-1004880.4`` -> ``-£1,004,880``: whole pounds with thousands separators; ``None``/NaN -> ``-``."""
    if x is None or x != x:
        return "-"
    pounds = round(x)
    return f"{'-' if pounds < 0 else ''}£{abs(pounds):,}"
