"""validate_frames as a whole: cascade, references, row numbers, what the valid frames hold, odd inputs."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyarrow as pa
import pytest
from model_frames import addresses, customers, found, frames

from custsync.model import ENTITIES, FAILURE_COLUMNS, SOURCE_FILE, SOURCE_ROW, EntityCounts, validate_frames


def test_rejected_customer_takes_its_addresses_and_contacts_along() -> None:
    data = frames()
    data["customers"].loc[0, "contact.email"] = "info@@muster.de"
    result = validate_frames(data)
    held = result.failures[result.failures["rule"] == "customer_rejected"]
    assert sorted(zip(held["entity"], held["row"], strict=True)) == [
        ("addresses", 2),
        ("addresses", 3),
        ("addresses", 4),
        ("addresses", 5),
        ("contacts", 2),
        ("contacts", 3),
    ]
    assert set(held["column"]) == {"customerNumber"}
    assert all("C1" in m and "row 2" in m and "email" in m for m in held["message"])
    # nothing valid is lost: customer C2 and its masterdata address stay
    assert list(result.valid["customers"]["number"]) == ["C2"]
    assert list(result.valid["addresses"]["customerNumber"]) == ["C2"]
    assert result.valid["contacts"].empty
    assert result.counts["addresses"] == EntityCounts(rows=5, valid=1, invalid=4)


def test_cascade_applies_even_when_the_customer_exists_already() -> None:
    data = frames()
    data["customers"].loc[1, "lastname"] = None
    result = validate_frames(data, existing_customers=["C2"])
    assert ("addresses", 6, "customerNumber", "customer_rejected") in found(result)


def test_reference_to_an_unknown_customer() -> None:
    data = frames()
    data["contacts"].loc[1, "customerNumber"] = "C404"
    result = validate_frames(data)
    assert found(result) == {("contacts", 3, "customerNumber", "unknown_customer")}
    assert result.failures["value"].iloc[0] == "C404"


def test_existing_customers_satisfy_references() -> None:
    only_children = {"addresses": addresses(), "contacts": frames()["contacts"]}
    assert {f[3] for f in found(validate_frames(only_children))} == {"unknown_customer"}
    assert validate_frames(only_children, existing_customers={"C1", "C2"}).ok
    assert validate_frames(only_children, check_references=False).ok


def test_rows_come_from_source_columns_when_present() -> None:
    data = frames()
    data["addresses"][SOURCE_FILE] = "in/adressen.csv"
    data["addresses"][SOURCE_ROW] = ["10", "11", "13", "14", "20"]  # a multi-line record moved the numbers
    data["addresses"].loc[2, "country"] = "XX"
    result = validate_frames(data)
    row = result.failures.iloc[0]
    assert (row["file"], row["row"], row["column"], row["rule"], row["value"]) == (
        "in/adressen.csv",
        13,
        "country",
        "country",
        "XX",
    )


def test_rows_fall_back_to_position_plus_header() -> None:
    data = frames()
    data["customers"].loc[1, "salutation"] = "sir"
    row = validate_frames(data).failures.iloc[0]
    assert (row["file"], row["row"], row["entity"]) == ("customers", 3, "customers")


def test_failures_table_has_the_documented_columns_and_types() -> None:
    data = frames()
    data["customers"].loc[0, "financial.creditLimit"] = "-1"
    failures = validate_frames(data).failures
    assert tuple(failures.columns) == FAILURE_COLUMNS
    assert str(failures["row"].dtype) == "Int64"
    assert all(isinstance(failures[c].dtype, pd.StringDtype) for c in FAILURE_COLUMNS if c != "row")


def test_one_row_with_many_problems_reports_them_all() -> None:
    data = frames()
    data["customers"].loc[1, ["lastname", "contact.email", "birthdate", "financial.creditLimit"]] = [
        None,
        "x",
        "1990-02-31",
        "-3",
    ]
    data["customers"].loc[1, "shipping.deliveryBan"] = "kaputt"
    rules = {f[3] for f in found(validate_frames(data)) if f[0] == "customers"}
    assert rules == {"required_for_person", "email", "date", "non_negative", "boolean"}


def test_valid_frames_are_conformed_and_keep_index_and_source_columns() -> None:
    data = frames()
    data["customers"].index = pd.Index([10, 20])
    data["customers"][SOURCE_ROW] = ["2", "3"]
    data["customers"].loc[10, "financial.creditLimit"] = "1000.005"
    valid = validate_frames(data).valid["customers"]
    assert list(valid.index) == [10, 20]
    assert list(valid.columns) == [*ENTITIES["customers"].columns, SOURCE_ROW]
    for column, dtype in ENTITIES["customers"].dtypes.items():
        assert valid[column].dtype == dtype, column
    assert valid.loc[10, "financial.creditLimit"] == 1000.0  # cents, half to even
    assert valid.loc[20, "birthdate"] == dt.date(1980, 5, 17)
    assert bool(valid.loc[10, "shipping.deliveryBan"]) is False


def test_typed_and_arrow_backed_input_validates_like_text() -> None:
    conformed = validate_frames(frames()).valid
    assert validate_frames(conformed).ok
    arrow = {
        name: pa.Table.from_pandas(frame, preserve_index=False).to_pandas(types_mapper=pd.ArrowDtype)
        for name, frame in conformed.items()
    }
    result = validate_frames(arrow)
    assert result.ok, result.failures.to_dict("records")
    for name, frame in conformed.items():
        pd.testing.assert_frame_equal(result.valid[name], frame)


def test_python_objects_of_the_wrong_kind_become_failures_not_exceptions() -> None:
    data = {"customers": customers().astype(object)}
    data["customers"].loc[0, "birthdate"] = 19800517
    data["customers"].loc[0, "financial.paymentTerms.days"] = "14 Tage"
    data["customers"].loc[1, "shipping.deliveryBan"] = 3
    data["customers"].loc[1, "birthdate"] = dt.datetime(1980, 5, 17, 8, 30)
    result = validate_frames(data)
    assert found(result) == {
        ("customers", 2, "birthdate", "date"),
        ("customers", 2, "financial.paymentTerms.days", "number"),
        ("customers", 3, "shipping.deliveryBan", "boolean"),
    }
    assert result.counts["customers"].invalid == 2


def test_empty_and_partial_inputs() -> None:
    empty = {name: pd.DataFrame(columns=list(e.columns), dtype="string") for name, e in ENTITIES.items()}
    result = validate_frames(empty)
    assert result.ok and all(c == EntityCounts(0, 0, 0) for c in result.counts.values())
    only_customers = validate_frames({"customers": customers()})
    assert set(only_customers.valid) == {"customers"} and only_customers.ok


def test_unknown_entity_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="customer"):
        validate_frames({"customer": customers()})


def test_to_dict_is_the_json_summary() -> None:
    data = frames()
    data["addresses"].loc[0, "country"] = "Germany"
    summary = validate_frames(data).to_dict()
    assert summary["addresses"] == {"rows": 5, "valid": 4, "invalid": 1}
    assert summary["customers"] == {"rows": 2, "valid": 2, "invalid": 0}
    (failure,) = summary["failures"]
    assert failure["row"] == 2 and failure["rule"] == "country" and failure["value"] == "Germany"
    json.dumps(summary)


def test_missing_values_show_as_no_value() -> None:
    data = frames()
    data["contacts"].loc[0, "name"] = "   "
    failure = validate_frames(data).to_dict()["failures"][0]
    assert failure["rule"] == "required" and failure["value"] is None


def test_failures_carry_the_group_of_their_record() -> None:
    """Two contact persons of one wide row with the same bad value: each failure names its own group."""
    data = frames()
    contacts = data["contacts"].iloc[:2].copy()
    contacts["contact.email"] = "no-at-sign"
    contacts[SOURCE_FILE], contacts[SOURCE_ROW] = "kunden.csv", 7
    data["contacts"] = contacts
    groups = {"contacts": pd.Series(["AP1", "AP2"], index=contacts.index, dtype="string")}
    result = validate_frames(data, groups=groups)
    emails = result.failures[result.failures["rule"] == "email"]
    assert sorted(zip(emails["row"], emails["group"], strict=True)) == [(7, "AP1"), (7, "AP2")]
    assert result.failures.loc[result.failures["entity"] == "customers", "group"].isna().all()
