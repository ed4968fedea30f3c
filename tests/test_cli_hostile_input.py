"""Bytes are never guessed and control characters never reach the API (issue 16): over the CLI, against the
sandbox, the files are refused before any request is sent."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from custsync.cli import app

pytestmark = pytest.mark.integration

HEADER = "number,customerType,name\n"


@pytest.fixture
def requests_sent(monkeypatch) -> list[str]:
    """Every HTTP request the CLI sends, counted at the transport."""
    sent: list[str] = []
    send = httpx.AsyncClient.send

    async def counted(self, request, *args, **kwargs):
        sent.append(f"{request.method} {request.url.path}")
        return await send(self, request, *args, **kwargs)

    monkeypatch.setattr(httpx.AsyncClient, "send", counted)
    return sent


@pytest.fixture
def sync(sandbox, monkeypatch, tmp_path):
    monkeypatch.setenv("CUSTSYNC_API_URL", sandbox.url)
    monkeypatch.setenv("CUSTSYNC_API_TOKEN", sandbox.token)

    def run(source, code: int) -> dict:
        args = ["sync", str(source), "--state-dir", str(tmp_path / "state"), "--json"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)

    return run


def rows(n: int, name: str = "Hörle") -> list[str]:
    return [f"K{i:05d},company,{name} {i} GmbH\n" for i in range(1, n + 1)]


def test_one_invalid_utf8_byte_refuses_the_file_before_any_request(sync, requests_sent, tmp_path, sandbox):
    data = (HEADER + "".join(rows(20))).encode()
    line_11 = data.index(b"K00010,")
    data = data[:line_11] + b"K00010,company,Gaggini \xfc GmbH\n" + data[data.index(b"\n", line_11) + 1 :]
    source = tmp_path / "customers.csv"
    source.write_bytes(data)
    out = sync(source, code=2)
    assert out["error"] == "InputError"
    offset = data.index(b"\xfc")
    assert f"byte fc at byte offset {offset} (line 11)" in out["message"]
    assert requests_sent == []
    _, customers = sandbox.store.query("customers", [], [], "t.id", 10, 0)
    assert customers == []


def test_a_nul_byte_far_into_the_file_refuses_it_before_any_request(sync, requests_sent, tmp_path):
    lines = rows(3000)
    late = 2500
    lines[late - 2] = f"K{late - 1:05d},company,Gaggini\x00X\n"
    source = tmp_path / "customers.csv"
    source.write_text(HEADER + "".join(lines), encoding="utf-8")
    assert source.read_bytes().index(b"\x00") > 64 * 1024
    out = sync(source, code=1)
    assert out["error"] == "ValidationFailed" and "nothing will be written" in out["message"]
    assert requests_sent == []
    result = CliRunner().invoke(app, ["validate", str(source), "--json"])
    assert result.exit_code == 1, result.output
    failures = json.loads(result.stdout)["failures"]
    assert [(f["rule"], f["row"], f["column"], f["value"]) for f in failures] == [
        ("control_character", late, "name", "Gaggini\\x00X")
    ]
    assert "U+0000 (NUL)" in failures[0]["message"] and failures[0]["file"].endswith("customers.csv")


def test_a_nul_byte_early_in_the_file_is_a_validation_error_too(tmp_path):
    source = tmp_path / "customers.csv"
    source.write_text(HEADER + "K0,company,Gaggini\x00X\n" + "".join(rows(30)), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(source), "--json"])
    assert result.exit_code == 1, result.output
    failures = json.loads(result.stdout)["failures"]
    assert [(f["rule"], f["row"], f["column"]) for f in failures] == [("control_character", 2, "name")]
