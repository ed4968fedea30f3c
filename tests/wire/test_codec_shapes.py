"""The codec reads the shapes the spec leaves open, and normalises them once, so the diff sees one form."""

from __future__ import annotations

import pytest

from custsync.codec import from_api
from custsync.codec._shapes import country_code, group_ids, reference_value
from custsync.model import ADDRESSES, CONTACTS, CUSTOMERS
from custsync.sandbox.shapes import german_name


def test_groups_as_ids_or_objects() -> None:
    assert group_ids(["1", "3"]) == ["1", "3"]
    assert group_ids([{"id": "1", "name": "A"}, {"id": "3", "name": "B"}]) == ["1", "3"]
    plain = from_api(CUSTOMERS, [{"number": "K1", "customerType": "company", "name": "A", "groups": ["1", "3"]}])
    shaped = from_api(
        CUSTOMERS,
        [{"number": "K1", "customerType": "company", "name": "A", "groups": [{"id": "1", "name": "x"}, {"id": "3"}]}],
    )
    assert plain["groups"].tolist() == shaped["groups"].tolist() == ["1,3"]


def test_references_as_text_or_objects() -> None:
    assert reference_value({"id": "invoice"}) == "invoice" and reference_value("invoice") == "invoice"
    frame = from_api(
        CUSTOMERS,
        [
            {
                "number": "K1",
                "customerType": "company",
                "name": "A",
                "financial": {"paymentMethod": {"id": "invoice"}},
                "shipping": {"shippingMethod": "DHL"},
            }
        ],
    )
    assert frame["financial.paymentMethod"].tolist() == ["invoice"]
    assert frame["shipping.shippingMethod"].tolist() == ["DHL"]


@pytest.mark.parametrize("given", ["DE", "de", "Germany", "Deutschland", " deutschland "])
def test_countries_as_codes_or_names(given: str) -> None:
    assert country_code(given) == "DE"


def test_an_unknown_country_is_left_for_validation_to_name() -> None:
    assert country_code("Atlantis") == "Atlantis"


def test_every_name_the_sandbox_shows_reads_back_as_its_code() -> None:
    import pycountry

    for country in pycountry.countries:
        assert country_code(german_name(country.alpha_2)) == country.alpha_2, country.alpha_2


def test_country_names_in_addresses_and_contacts_become_codes() -> None:
    address = {"customer": {"id": "1"}, "type": "masterdata", "country": "Österreich", "_customerNumber": "K1"}
    assert from_api(ADDRESSES, [address])["country"].tolist() == ["AT"]
    contact = {"name": "Anna", "address": {"country": "Schweiz"}, "_customerNumber": "K1"}
    assert from_api(CONTACTS, [contact])["address.country"].tolist() == ["CH"]
