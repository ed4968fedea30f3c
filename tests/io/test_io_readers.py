"""Readers: encodings, delimiters, quoting, source line numbers, chunking, and every whole-file error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from custsync.errors import InputError
from custsync.io.readers import ReadOptions, read_table


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("latin-1", None)],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, expected: str | None) -> None:
    path = write(tmp_path / "k.csv", "Name;Ort\nMüller;Köln\nWeiß;Gießen\n", encoding)
    table = read_table(path)
    assert table.frame["Name"].tolist() == ["Müller", "Weiß"]
    assert table.frame["Ort"].tolist() == ["Köln", "Gießen"]
    assert list(table.frame.columns) == ["Name", "Ort", "_row"]  # the BOM never leaks into a header
    if expected:
        assert table.encoding == expected


def test_euro_sign_distinguishes_cp1252(tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", "Betrag\n100 €\n", "cp1252")
    assert read_table(path).frame["Betrag"].tolist() == ["100 €"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected_from_the_header(tmp_path: Path, delimiter: str) -> None:
    path = write(tmp_path / "k.csv", f"a{delimiter}b{delimiter}c\n1{delimiter}2{delimiter}3\n")
    table = read_table(path)
    assert table.delimiter == delimiter
    assert table.frame[["a", "b", "c"]].iloc[0].tolist() == ["1", "2", "3"]


def test_stated_delimiter_and_encoding_win(tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", "a,b;c\n1,2;3\n", "cp1252")
    table = read_table(path, options=ReadOptions(delimiter=";", encoding="cp1252"))
    assert list(table.frame.columns) == ["a,b", "c", "_row"]


def test_quoted_delimiters_and_newlines_keep_true_line_numbers(tmp_path: Path) -> None:
    text = 'id;note;x\n1;"a;b";1\n2;"line one\nline two\nline three";2\n\n3;plain;3\r\n4;"x""y";4\n'
    table = read_table(write(tmp_path / "k.csv", text))
    assert table.frame["note"].tolist() == ["a;b", "line one\nline two\nline three", "plain", 'x"y']
    assert table.frame["_row"].tolist() == [2, 3, 7, 8]
    assert table.records == 4


def test_empty_fields_are_missing_and_everything_is_text(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "k.csv", "n,limit\n00123,\n,1.5\n"))
    assert table.frame["n"].iloc[0] == "00123"
    assert pd.isna(table.frame["n"].iloc[1]) and pd.isna(table.frame["limit"].iloc[0])
    assert isinstance(table.frame["limit"].dtype, pd.StringDtype)


def test_only_wanted_columns_are_kept(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "k.csv", "a,b,c\n1,2,3\n"), wanted={"c", "zzz"})
    assert list(table.frame.columns) == ["c", "_row"]


def test_chunks_give_the_same_table(tmp_path: Path) -> None:
    lines = "\n".join(f'{i};"v\n{i}"' for i in range(25))
    path = write(tmp_path / "k.csv", "id;v\n" + lines + "\n")
    whole = read_table(path)
    chunked = read_table(path, options=ReadOptions(chunk_rows=4))
    pd.testing.assert_frame_equal(whole.frame, chunked.frame)
    assert chunked.frame["_row"].tolist() == [2 + 2 * i for i in range(25)]


def test_ragged_rows_are_rejected_and_the_others_kept(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "k.csv", "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"))
    assert table.frame["a"].tolist() == ["1", "10"]
    assert table.rejects["rule"].tolist() == ["ragged_row", "ragged_row"]
    assert table.rejects["row"].tolist() == [3, 4]
    assert table.records == 4


def test_oversize_fields_are_rejected_per_row(tmp_path: Path) -> None:
    big = "x" * 300
    table = read_table(
        write(tmp_path / "k.csv", f"a,b\nok,1\n{big},2\nok,3\n"), options=ReadOptions(max_field_length=100)
    )
    assert table.frame["b"].tolist() == ["1", "3"]
    (reject,) = table.rejects.to_dict("records")
    assert (reject["row"], reject["column"], reject["rule"]) == (3, "a", "field_too_long")
    assert len(reject["value"]) <= 80 and "300 characters" in reject["message"]


def test_fields_larger_than_the_csv_module_default_are_a_reject_not_a_crash(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "k.csv", "a,b\n" + "y" * 200_000 + ",1\nfine,2\n"))
    assert table.frame["b"].tolist() == ["2"]
    assert table.rejects["rule"].tolist() == ["field_too_long"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"\xef\xbb\xbf", "the file is empty"),
        (b"a;b;c\n", "has a header but no data rows"),
        (b"a;b;c\n\n\n", "has a header but no data rows"),
        (b"\x00\x01\x02PK\x03\x04binary\x00", "not a CSV or Parquet file"),
    ],
)
def test_whole_file_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nope.csv")


def test_undecodable_with_a_stated_encoding(tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", "Name\nMüller\n", "cp1252")
    with pytest.raises(InputError) as caught:
        read_table(path, options=ReadOptions(encoding="utf-8"))
    assert "not valid utf-8: byte fc at byte offset 6 (line 2)" in caught.value.message
    assert "encoding" in (caught.value.hint or "")


def test_one_invalid_byte_in_a_utf8_file_is_refused_not_read_as_cp1252(tmp_path: Path) -> None:
    rows = [f"{i};Hörle {i};Köln" for i in range(1, 20)]
    data = ("Nr;Name;Ort\n" + "\n".join(rows) + "\n").encode()
    line_11 = data.index(b"10;")
    broken = data[:line_11] + b"10;Gaggini \xfc;Rom" + data[data.index(b"\n", line_11) :]
    path = tmp_path / "k.csv"
    path.write_bytes(broken)
    with pytest.raises(InputError) as caught:
        read_table(path)
    offset = broken.index(b"\xfc")
    assert f"not valid utf-8: byte fc at byte offset {offset} (line 11)" in caught.value.message
    assert str(path) in caught.value.message
    table = read_table(path, options=ReadOptions(encoding="cp1252"))  # the user may name the encoding
    assert table.frame["Name"].iloc[9] == "Gaggini ü" and table.frame["Name"].iloc[0] == "HÃ¶rle 1"


def test_an_invalid_byte_after_the_detection_sample_names_its_file_offset_and_line(tmp_path: Path, monkeypatch) -> None:
    import custsync.io._detect as detect
    import custsync.io.readers as readers

    monkeypatch.setattr(readers, "read_sample", lambda path: detect.read_sample(path, 64))
    monkeypatch.setattr(detect, "SCAN_BYTES", 50)  # the error spans the scanner's blocks too
    data = ("Name;Ort\n" + "Müller;Köln\n" * 20).encode() + b"M\xfcller;K\xf6ln\n"
    path = tmp_path / "k.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read_table(path)
    offset = data.index(b"\xfc")
    assert f"byte fc at byte offset {offset} (line 22)" in caught.value.message


def test_a_legacy_file_with_utf8_further_on_is_refused(tmp_path: Path, monkeypatch) -> None:
    import custsync.io._detect as detect
    import custsync.io.readers as readers

    monkeypatch.setattr(readers, "read_sample", lambda path: detect.read_sample(path, 64))
    data = ("Name;Ort\n" + "Müller;Köln\n" * 20).encode("cp1252") + "Hörle;Köln\n".encode()
    path = tmp_path / "k.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read_table(path)
    message, offset = caught.value.message, data.index(b"\xc3")
    assert "mixes encodings" in message and f"byte offset {offset} (line 22)" in message
    assert read_table(path, options=ReadOptions(encoding="cp1252")).records == 21


def test_unknown_encoding_name(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown encoding"):
        read_table(write(tmp_path / "k.csv", "a\n1\n"), options=ReadOptions(encoding="klingon"))


def test_missing_required_columns_are_listed_with_nearest_matches(tmp_path: Path) -> None:
    path = write(tmp_path / "k.csv", "Kundennummer;Firma;Strasse\n1;A;B\n")
    with pytest.raises(InputError) as caught:
        read_table(path, required=["Kundennr", "Straße", "Telefon"])
    message = caught.value.message
    assert "'Kundennr' (did you mean 'Kundennummer'?)" in message
    assert "'Straße' (did you mean 'Strasse'?)" in message
    assert "'Telefon'" in message
    assert "Kundennummer, Firma, Strasse" in (caught.value.hint or "")


def test_duplicate_used_header_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="used twice"):
        read_table(write(tmp_path / "k.csv", "a,a,b\n1,2,3\n"), wanted={"a"})


def test_text_in_a_parquet_named_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a Parquet file"):
        read_table(write(tmp_path / "customers.parquet", "a,b\n1,2\n"))


def test_truncated_parquet(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    pq.write_table(pa.table({"a": ["1"]}), path)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(InputError, match="Parquet"):
        read_table(path)


def test_parquet_in_batches_as_text(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    table = pa.table(
        {
            "number": ["1", "2", "3", None, "5"],
            "limit": [1.5, 2.0, None, 4.25, 5.0],
            "days": pa.array([14, 30, None, 7, 0], pa.int64()),
            "ban": [True, False, None, True, False],
            "born": pa.array([pd.Timestamp("2024-12-31").date()] * 5, pa.date32()),
            "unused": ["x"] * 5,
        }
    )
    pq.write_table(table, path, row_group_size=2)
    raw = read_table(path, wanted={"number", "limit", "days", "ban", "born"}, options=ReadOptions(chunk_rows=2))
    frame = raw.frame
    assert "unused" not in frame.columns
    assert frame["_row"].tolist() == [1, 2, 3, 4, 5]
    assert frame["limit"].tolist()[:2] == ["1.5", "2"]
    assert frame["days"].iloc[0] == "14" and pd.isna(frame["days"].iloc[2])
    assert frame["ban"].iloc[0] == "true"
    assert frame["born"].iloc[0] == "2024-12-31"
    assert raw.records == 5


def test_parquet_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    pq.write_table(pa.table({"number": pa.array([], pa.string())}), path)
    with pytest.raises(InputError, match="no rows"):
        read_table(path)


def test_parquet_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    pq.write_table(pa.table({"numbr": ["1"]}), path)
    with pytest.raises(InputError, match=r"'number' \(did you mean 'numbr'\?\)"):
        read_table(path, required=["number"])
