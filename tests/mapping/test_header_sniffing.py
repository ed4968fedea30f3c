"""Header sniffing: with the default layout, a file whose name does not say its entity is assigned by its header
when that is unambiguous, and refused naming the candidates when not."""

from __future__ import annotations

from pathlib import Path

import pytest

from custsync.errors import InputError
from custsync.source import read_source


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_customers_file_named_export_is_read_as_customers(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", "number,customerType,name,contact.email\nK1,company,ACME,info@acme.de\n")
    load = read_source([path])
    assert load.ok and list(load.frames) == ["customers"] and load.frames["customers"]["number"].tolist() == ["K1"]


def test_addresses_and_contacts_files_are_told_apart_by_their_headers(tmp_path: Path) -> None:
    customers = write(tmp_path, "a.csv", "number,customerType,name\nK1,company,ACME\n")
    header = "customerNumber,type,name,street,zip,city,country"
    addresses = write(tmp_path, "b.csv", f"{header}\nK1,masterdata,ACME,Weg 1,10115,Berlin,DE\n")
    contacts = write(tmp_path, "c.csv", "customerNumber,name,contact.email\nK1,Eva Ott,eva@acme.de\n")
    load = read_source([customers, addresses, contacts])
    assert load.ok, load.failures.to_dict("records")
    assert {name: len(frame) for name, frame in load.frames.items()} == {"customers": 1, "addresses": 1, "contacts": 1}


def test_a_header_that_fits_no_entity_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", "Kundennr,Firma\nK1,ACME\n")
    with pytest.raises(InputError) as caught:
        read_source([path])
    assert "the mapping has no entity for this file name, and its header fits no entity" in caught.value.message
    assert "*customers*" in (caught.value.hint or "")


def test_an_ambiguous_header_is_refused_naming_the_candidates(tmp_path: Path) -> None:
    path = write(tmp_path, "export.csv", "number,customerType,customerNumber,name,type\nK1,company,K1,ACME,mr\n")
    with pytest.raises(InputError) as caught:
        read_source([path])
    assert "its header fits customers and contacts equally" in caught.value.message
