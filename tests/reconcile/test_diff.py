"""Normalisation, keys and the vectorised diff, on plain frames."""

from __future__ import annotations

import pandas as pd
import pytest

from custsync.errors import PlanError
from custsync.model import ADDRESSES, CONTACTS, CUSTOMERS
from custsync.reconcile import Scope, delete_limit, diff_entity, normalise_column
from custsync.reconcile.keys import address_keys, contact_keys, customer_keys


def customers(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"customerType": ["company"] * n}
    return CUSTOMERS.conform(pd.DataFrame({**base, **columns}))


def diff(desired: pd.DataFrame, current: pd.DataFrame, columns: list[str]):
    return diff_entity(
        CUSTOMERS,
        desired,
        current,
        columns=columns,
        desired_keys=customer_keys(desired),
        current_keys=customer_keys(current),
    )


@pytest.mark.parametrize(
    ("column", "raw", "expected"),
    [
        ("name", ["  ACME \t GmbH  ", "", None], ["ACME GmbH", None, None]),
        ("contact.email", [" Info@ACME.de "], ["info@acme.de"]),
        ("bankAccount.iban", ["de89 3704 0044 0532 0130 00"], ["DE89370400440532013000"]),
        ("financial.currency", ["eur"], ["EUR"]),
        ("groups", [" 1 , 2,"], ["1,2"]),
    ],
)
def test_text_normalisation(column, raw, expected):
    values = pd.Series(raw, dtype="string")
    result = normalise_column(CUSTOMERS, column, values)
    assert [None if pd.isna(v) else v for v in result] == expected


def test_country_is_upper_case_and_free_text_keeps_line_breaks():
    country = normalise_column(ADDRESSES, "country", pd.Series([" de "], dtype="string"))
    comment = normalise_column(CONTACTS, "comment", pd.Series(["  line 1\nline  2 "], dtype="string"))
    assert country.tolist() == ["DE"] and comment.tolist() == ["line 1\nline  2"]


def test_equal_after_normalisation_is_unchanged_and_real_changes_are_found():
    desired = customers(
        number=["1", "2", "3", "4"],
        name=["A  GmbH", "B", "C", "D"],
        **{"contact.email": ["X@Y.DE", None, "", "new@d.de"], "financial.creditLimit": [10.0, 20.0, None, 1.5]},
    )
    current = customers(
        number=["1", "2", "3", "4"],
        name=["A GmbH", "B", "C", "D"],
        **{"contact.email": ["x@y.de", None, None, "old@d.de"], "financial.creditLimit": [10.0, 21.0, None, 1.5]},
    )
    result = diff(desired, current, ["name", "contact.email", "financial.creditLimit"])
    assert result.unchanged == 2
    assert result.changed.index.tolist() == ["2", "4"]
    assert result.changed.loc["2"].to_dict() == {"name": False, "contact.email": False, "financial.creditLimit": True}
    assert result.changed.loc["4"].to_dict() == {"name": False, "contact.email": True, "financial.creditLimit": False}


def test_creates_and_missing_are_split_by_key_and_numbers_are_trimmed():
    desired = customers(number=[" 1", "2"], name=["A", "B"])
    current = customers(number=["1", "9"], name=["A", "Z"])
    result = diff(desired, current, ["name"])
    assert result.create.index.tolist() == ["2"]
    assert result.missing.index.tolist() == ["9"]
    assert result.unchanged == 1


def test_dates_compare_by_value():
    desired = customers(number=["1"], birthdate=["2001-02-03"])
    current = customers(number=["1"], birthdate=pd.to_datetime(["2001-02-03T00:00:00"]))
    assert diff(desired, current, ["birthdate"]).unchanged == 1


def test_missing_key_is_a_plan_error_naming_the_row():
    desired = customers(number=["1", None], name=["A", "B"])
    desired["_source"] = "kunden.csv"
    desired["_row"] = [2, 3]
    with pytest.raises(PlanError, match=r"kunden\.csv:3"):
        diff(desired, customers(number=["1"], name=["A"]), ["name"])


def test_delivery_addresses_pair_by_content_and_by_remembered_match_key():
    desired = ADDRESSES.conform(
        pd.DataFrame(
            {
                "customerNumber": ["1", "1", "1"],
                "type": ["masterdata", "deliveryaddress", "deliveryaddress"],
                "matchKey": [None, None, "L2"],
                "name": ["A", "Lager  Nord", "Lager Süd"],
                "street": ["S 1", "Weg 1", "Neuer Weg 9"],
                "country": ["DE", "de", "DE"],
            }
        )
    )
    current = ADDRESSES.conform(
        pd.DataFrame(
            {
                "id": ["10", "11", "12"],
                "customerNumber": ["1", "1", "1"],
                "type": ["masterdata", "deliveryaddress", "deliveryaddress"],
                "name": ["A", "lager nord", "Lager Süd"],
                "street": ["S 9", "Weg 1", "Alter Weg 1"],
                "country": ["DE", "DE", "DE"],
            }
        )
    )
    memory = pd.DataFrame({"customerNumber": ["1"], "matchKey": ["L2"], "id": ["12"]})
    d_keys, c_keys = address_keys(desired, current, memory)
    assert set(d_keys) == set(c_keys)
    d_keys, c_keys = address_keys(desired, current, None)
    assert len(set(d_keys) & set(c_keys)) == 2  # without the memory the moved address no longer pairs


def test_duplicate_keys_pair_one_to_one():
    frame = CONTACTS.conform(pd.DataFrame({"customerNumber": ["1", "1"], "name": ["Anna", "anna "]}))
    keys = contact_keys(frame)
    assert keys.is_unique and keys.iloc[1].endswith("#1")


def test_scope_and_delete_limit():
    frame = pd.DataFrame({"number": ["K1", "X1", "K2"], "groups": ["1,2", None, "3"]})
    assert Scope.parse("number-prefix=K").contains(frame).tolist() == [True, False, True]
    assert Scope.parse("group=2").contains(frame).tolist() == [True, False, False]
    assert Scope.parse("all").contains(frame).all()
    with pytest.raises(PlanError):
        Scope.parse("city=Berlin")
    assert delete_limit(10, None) == 1
    assert delete_limit(400, None) == 20
    assert delete_limit(100_000, None) == 50
    assert delete_limit(100_000, 7) == 7
