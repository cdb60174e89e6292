"""Triage from the CLI (issue 16 items 5 and 6): the local store, and a deployed API on a real
local HTTP server (`sentinelle serve`'s own server in a thread, bearer token)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_helpers import TOKEN, seed

from sentinelle.api.client import ApiError, execute_api_region, http_client, sigv4_headers
from sentinelle.cli import main
from sentinelle.store.sqlite import SQLiteStore


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTINELLE_API_TOKEN", TOKEN)
    monkeypatch.delenv("SENTINELLE_API_URL", raising=False)


def test_triage_against_the_api_with_a_bearer_token(server: str, store: SQLiteStore, api_env: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ids = seed(store, 4)
    code, out, _ = cli(capsys, "incidents", "--api", server, "--json")
    assert code == 0 and [json.loads(line)["id"] for line in out.splitlines()] == ids
    # A prefix as short as git would take is enough (issue 16 item 5): the table's 10 characters work.
    target = ids[0]
    code, out, _ = cli(capsys, "incidents", "show", target[:10], "--api", server, "--json")
    assert code == 0 and json.loads(out)["id"] == target and json.loads(out)["history"]
    code, out, _ = cli(capsys, "incidents", "ack", target[:8], "--api", server, "--note", "on it", "--assignee", "sam")
    assert code == 0 and f"incident {target} is now acknowledged" in out
    code, out, _ = cli(capsys, "incidents", "note", target[:8], "card 4111 1111 1111 1111 seen", "--api", server)
    assert code == 0
    detail = store.get(target)
    assert detail.status.value == "acknowledged" and detail.assignee == "sam"
    assert [h.by for h in detail.history[-2:]] == ["local-token", "local-token"]  # who the API saw
    assert "4111 1111 1111 1111" not in json.dumps(detail.model_dump(mode="json"))  # masked by the API
    code, out, _ = cli(capsys, "incidents", "false-positive", target[:8], "--api", server, "--json")
    assert code == 0 and json.loads(out)["status"] == "false_positive"
    assert store.allowlist()  # the API's own triage suppressed the subject; the CLI kept no list of its own
    code, out, _ = cli(capsys, "incidents", "takedown", ids[1][:8], "--api", server, "--json")
    pack = json.loads(out)
    assert code == 0 and pack["incident_id"] == ids[1] and pack["snapshot_sha256"]
    assert store.get(ids[1]).status.value == "takedown_requested"


def test_refusals_are_messages_not_tracebacks(server: str, store: SQLiteStore, api_env: None,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ids = seed(store, 2)
    code, _, err = cli(capsys, "incidents", "show", "ffffffffff", "--api", server)
    assert code == 2 and "no incident id starts with 'ffffffffff'" in err
    cli(capsys, "incidents", "resolve", ids[0][:8], "--api", server)
    code, _, err = cli(capsys, "incidents", "ack", ids[0][:8], "--api", server)
    assert code == 2 and "resolved" in err and "Traceback" not in err
    monkeypatch.setenv("SENTINELLE_API_TOKEN", "wrong")
    code, _, err = cli(capsys, "incidents", "--api", server)
    assert code == 2 and "unauthorized" in err


def test_an_ambiguous_prefix_names_the_candidates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        ids = seed(store, 40)  # 40 ids over 16 possible first digits: some share theirs
    first = ids[0][0]
    sharing = [i for i in ids if i.startswith(first)]
    code, _, err = cli(capsys, "incidents", "show", first, "--db", str(db))
    assert len(sharing) > 1 and code == 2 and "ambiguous id" in err and sharing[0] in err
    code, out, _ = cli(capsys, "incidents", "show", ids[0][:12], "--db", str(db), "--json")
    assert code == 0 and json.loads(out)["id"] == ids[0]


def test_local_triage_uses_the_same_routes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.db"
    with SQLiteStore(db) as store:
        ids = seed(store, 3)
    code, out, _ = cli(capsys, "incidents", "false-positive", ids[2][:10], "--db", str(db), "--note", "ours")
    assert code == 0 and "false_positive" in out
    with SQLiteStore(db) as store:
        inc = store.get(ids[2])
        assert inc.status.value == "false_positive" and inc.history[-1].by.startswith("cli:")
        assert store.allowlist()
    code, out, _ = cli(capsys, "incidents", "show", ids[2][:10], "--db", str(db))
    assert code == 0 and ids[2] in out and "false_positive" in out and "ours" in out


def test_table_cells_are_text_not_markup_or_emoji(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16 item 8: a handle or reason like `[bold]x[/]` or `:fire:` is printed as written."""
    from api_helpers import finding

    monkeypatch.setenv("COLUMNS", "250")
    db = tmp_path / "s.db"
    f = finding(0)
    f = f.model_copy(update={"reasons": ["query :fire: and [red]x[/red]"],
                             "subject": f.subject.model_copy(update={"handle": "[bold]acme[/bold]"})})
    with SQLiteStore(db) as store:
        store.record(f, f.observed_at)
    code, out, _ = cli(capsys, "incidents", "--db", str(db))
    assert code == 0 and ":fire:" in out and "[red]x[/red]" in out and "[bold]acme[/bold]" in out


def test_sigv4_signs_for_execute_api_in_the_urls_region() -> None:
    from botocore.credentials import Credentials

    url = "https://abc123.execute-api.eu-west-3.amazonaws.com/incidents?severity=high"
    assert execute_api_region(url) == "eu-west-3" and execute_api_region("http://127.0.0.1:8000") is None
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
    headers = sigv4_headers("GET", url, b"", {}, credentials=creds, region="eu-west-3")
    auth = headers["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-3/execute-api/aws4_request" in auth and "SignedHeaders=" in auth and "x-amz-date" in auth
    assert headers["X-Amz-Security-Token"] == "session-token"
    # The body is signed: another body, another signature.
    other = sigv4_headers("PATCH", url, b'{"status": "resolved"}', {"content-type": "application/json"},
                          credentials=creds, region="eu-west-3")
    assert other["Authorization"].split("Signature=")[1] != auth.split("Signature=")[1]


def test_without_a_token_the_client_signs_with_aws_credentials(server: str, store: SQLiteStore,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With no bearer token, requests carry SigV4 (the local server does not take it: 401, said plainly)."""
    seen: list[dict[str, Any]] = []
    import sentinelle.api.client as client_module

    real = client_module.sigv4_headers

    def spy(*a: Any, **k: Any) -> dict[str, str]:
        headers = real(*a, **k)
        seen.append(headers)
        return headers

    monkeypatch.setattr(client_module, "sigv4_headers", spy)
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    client = http_client(server, token=None)
    with pytest.raises(ApiError) as info:
        client.list()
    assert info.value.status == 401 and seen and seen[0]["Authorization"].startswith("AWS4-HMAC-SHA256")
