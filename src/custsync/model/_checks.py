"""Value checks the schemas use by name (``pa.Field(email=True)``), backed by well-kept libraries.

Each ``*_problem`` function answers "what is wrong with this one value?" (``None`` when nothing is), so the
same code decides pass/fail inside pandera and writes the message in the rejects report. The library validators
work one value at a time; the pandera checks therefore run them only on the distinct non-missing values of a
column and map the answers back, which keeps a column of 100 000 mostly repeated values cheap.

Registering happens on import of this module; the schema modules import it before they are defined.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import pandas as pd
import pandera.extensions as extensions
import pycountry
from email_validator import EmailNotValidError, validate_email
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

_CACHE = 65536


@lru_cache(maxsize=_CACHE)
def email_problem(value: str) -> str | None:
    """Syntax only: a sync must not depend on DNS answers, so deliverability is not checked."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return f"not a valid e-mail address: {exc}"
    return None


@lru_cache(maxsize=_CACHE)
def iban_problem(value: str) -> str | None:
    """Country, length, BBAN format and the mod-97 checksum (spaces and lower case are accepted)."""
    try:
        IBAN(value)
    except (SchwiftyException, ValueError) as exc:
        return f"not a valid IBAN: {exc}"
    return None


@lru_cache(maxsize=_CACHE)
def bic_problem(value: str) -> str | None:
    """Form of a BIC (8 or 11 characters, known country); the bank need not be in schwifty's registry."""
    try:
        BIC(value)
    except (SchwiftyException, ValueError) as exc:
        return f"not a valid BIC: {exc}"
    return None


@lru_cache(maxsize=_CACHE)
def country_problem(value: str) -> str | None:
    """ISO 3166-1 alpha-2 in upper case, as the API stores it."""
    if len(value) != 2 or not value.isupper() or pycountry.countries.get(alpha_2=value) is None:
        return "not an ISO 3166-1 alpha-2 country code (like DE, AT, FR)"
    return None


@lru_cache(maxsize=_CACHE)
def currency_problem(value: str) -> str | None:
    """ISO 4217 alphabetic code in upper case."""
    if len(value) != 3 or not value.isupper() or pycountry.currencies.get(alpha_3=value) is None:
        return "not an ISO 4217 currency code (like EUR, CHF)"
    return None


PROBLEMS: dict[str, Callable[[str], str | None]] = {
    "email": email_problem,
    "iban": iban_problem,
    "bic": bic_problem,
    "country": country_problem,
    "currency": currency_problem,
}
"""Rule id -> per-value problem finder; the report asks these for the message of a failure."""


def passes(series: pd.Series, problem: Callable[[str], str | None]) -> pd.Series:
    """Boolean mask (True = fine) from a per-value check applied once per distinct non-missing value."""
    present = series.dropna()
    verdict = {value: problem(str(value)) is None for value in present.unique()}
    return series.map(verdict).fillna(True).astype(bool)


def _register(rule: str) -> None:
    problem = PROBLEMS[rule]

    def check(series: pd.Series, *, enabled: bool) -> pd.Series:
        if not enabled:
            return pd.Series(True, index=series.index)
        return passes(series, problem)

    check.__name__ = rule
    extensions.register_check_method(statistics=["enabled"], check_type="vectorized")(check)


for _rule in PROBLEMS:
    _register(_rule)


@extensions.register_check_method(statistics=["enabled"], check_type="vectorized")
def percent(series: pd.Series, *, enabled: bool) -> pd.Series:
    """A percentage lies in 0..100."""
    if not enabled:
        return pd.Series(True, index=series.index)
    return series.between(0, 100).fillna(True).astype(bool)


IDS_PATTERN = r"\d+(?:\s*,\s*\d+)*"
"""API ids are strings of digits; a list of them is held comma-separated (``1,3``)."""


@extensions.register_check_method(statistics=["enabled"], check_type="vectorized")
def ids(series: pd.Series, *, enabled: bool) -> pd.Series:
    """Group and project references are API ids: digits, comma-separated for lists."""
    if not enabled:
        return pd.Series(True, index=series.index)
    return series.astype("string").str.fullmatch(IDS_PATTERN).fillna(True).astype(bool)
