"""The canonical entity definitions: columns, keys, dtypes and their Arrow schema."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from custsync.codec import from_api, to_api
from custsync.model import ADDRESSES, CONTACTS, CUSTOMERS, ENTITIES


def test_columns_are_dotted_api_paths() -> None:
    assert "contact.email" in CUSTOMERS.columns
    assert "bankAccount.iban" in CUSTOMERS.columns
    assert "financial.creditLimit" in CUSTOMERS.columns
    assert "shipping.deliveryBan" in CUSTOMERS.columns
    assert "documentDelivery.invoiceEmail" in CUSTOMERS.columns
    assert "address.country" in CONTACTS.columns
    assert {"customerNumber", "type", "matchKey", "country"} <= set(ADDRESSES.columns)


def test_read_only_columns_are_not_writable() -> None:
    for entity in ENTITIES.values():
        assert {"id", "createdAt", "updatedAt"} <= set(entity.columns)
        assert not {"id", "createdAt", "updatedAt"} & set(entity.writable_columns)


def test_conform_gives_canonical_dtypes_and_arrow_schema() -> None:
    frame = pd.DataFrame(
        {"number": ["C1"], "customerType": ["company"], "birthdate": ["2024-01-02"], "financial.creditLimit": [1.005]}
    )
    out = CUSTOMERS.conform(frame)
    assert list(out.columns) == list(CUSTOMERS.columns)
    table = pa.Table.from_pandas(out, schema=CUSTOMERS.arrow_schema, preserve_index=False)
    assert table.schema.equals(CUSTOMERS.arrow_schema)
    assert out.loc[0, "financial.creditLimit"] == 1.0  # rounded to cents, half to even


def test_codec_round_trip() -> None:
    resource = {
        "id": "7",
        "number": "C7",
        "customerType": "person",
        "firstname": "Max",
        "lastname": "Muster",
        "name": "Max Muster",
        "groups": ["1", "3"],
        "contact": {"email": "max@example.de"},
        "financial": {"paymentTerms": {"days": 14}},
        "links": {"self": "http://x/api/v2/customers/7"},
    }
    frame = from_api(CUSTOMERS, [resource])
    assert frame.loc[0, "groups"] == "1,3"
    body = to_api(CUSTOMERS, frame.iloc[0].to_dict())
    assert body["contact"] == {"email": "max@example.de"}
    assert body["groups"] == ["1", "3"]
    assert body["financial"] == {"paymentTerms": {"days": 14}}
    assert "id" not in body and "links" not in body


def test_arrow_types_follow_the_documented_mapping() -> None:
    types = {f.name: f.type for f in CUSTOMERS.arrow_schema}
    assert types["number"] == pa.string()
    assert types["birthdate"] == pa.date32()
    assert types["createdAt"] == pa.timestamp("us", tz="UTC")
    assert types["financial.creditLimit"] == pa.float64()
    assert types["financial.paymentTerms.days"] == pa.int64()
    assert types["shipping.deliveryBan"] == pa.bool_()
    assert all(f.nullable for entity in ENTITIES.values() for f in entity.arrow_schema)
    assert CUSTOMERS.arrow_schema.metadata == {b"custsync.entity": b"customers"}


def test_lead_group_is_part_of_the_customer() -> None:
    frame = from_api(
        CUSTOMERS,
        [
            {
                "id": "1",
                "number": "C1",
                "customerType": "company",
                "name": "A",
                "lead": {"isLead": True, "status": "mql"},
            }
        ],
    )
    assert bool(frame.loc[0, "lead.isLead"]) is True
    assert to_api(CUSTOMERS, frame.iloc[0].to_dict())["lead"] == {"isLead": True, "status": "mql"}


def test_conform_keeps_a_repeated_index() -> None:
    frame = pd.DataFrame({"number": ["a", "b"], "customerType": ["person", "company"]}, index=[3, 3])
    out = CUSTOMERS.conform(frame)
    assert list(out.index) == [3, 3]
    assert list(out["number"]) == ["a", "b"]
