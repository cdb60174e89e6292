"""Campaigns: incidents per second joined with 100,000 incidents in the store (SQLite), and the
DynamoDB calls one join costs (under moto: its times say nothing about AWS, so only calls)."""

from __future__ import annotations

import os
import random
import tempfile
import time
from datetime import datetime, timezone

from sentinelle import campaigns as camp
from sentinelle.model import Finding, Incident, Severity, Subject

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
STORED = 100_000
MEASURED = 2_000


def _finding(n: int, rng: random.Random) -> Finding:
    """A scam account's finding: a third share a number with others (campaigns of about ten), the
    rest a number of their own; every tenth also links to a shared landing domain; one in ten gives
    no number, only the same words but for a case number (near duplicates: they all join one campaign)."""
    if n % 10 == 5:
        text = (f"@victim{n} Maison Lumière support here: to get your refund message us on WhatsApp with your card "
                f"number and the code on the back, case {n // 50}")
        return Finding(detector="scams", kind="brand_scam", severity=Severity.high, score=80, reasons=["fake support"],
                       evidence={"phones": [], "links": [], "crypto_addresses": [], "excerpt": text},
                       subject=Subject(platform="x", kind="account", id=f"a{n}", handle=f"a{n}"))
    shared = rng.random() < 1 / 3
    phone = f"+3361{(n // 10 if shared else 10_000_000 + n) % 100_000_000:08d}"
    links = [{"domain": f"lumiere-offre{n // 25}.shop", "status": "unrelated"}] if n % 10 == 0 else []
    return Finding(detector="scams", kind="brand_scam", severity=Severity.high, score=80, reasons=["a fake coupon"],
                   evidence={"phones": [phone], "links": links, "crypto_addresses": [],
                             "excerpt": f"-50% sur tout chez Maison Lumière ! Appelez le {phone} et donnez votre "
                                        f"numéro de carte pour recevoir le bon n°{n % 97}"},
                   subject=Subject(platform="x", kind="account", id=f"a{n}", handle=f"a{n}"))


def _sqlite_rows() -> list[tuple[str, str, str]]:
    from sentinelle.store.sqlite import SQLiteStore

    rng = random.Random(18)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(os.path.join(tmp, "bench.db"))
        findings = [_finding(n, rng) for n in range(STORED + MEASURED)]
        t = time.process_time()
        incidents: list[Incident] = []
        for i in range(0, STORED, 5_000):
            incidents += [r.incident for r in store.record_many(findings[i:i + 5_000], T0)]
        recorded = time.process_time() - t
        t = time.process_time()
        camp.join(store, incidents, T0)
        filled = time.process_time() - t
        rows.append((f"join {STORED:,} incidents into an empty store (filling it)", f"{filled:.1f} s",
                     f"{STORED / filled:,.0f} incidents/s (recording them: {STORED / recorded:,.0f}/s)"))
        fresh = [r.incident for r in store.record_many(findings[STORED:], T0)]
        t = time.process_time()
        camp.join(store, fresh, T0)
        took = time.process_time() - t
        rows.append((f"join {MEASURED:,} more with {STORED:,} in the store", f"{took:.2f} s",
                     f"**{MEASURED / took:,.0f} incidents/s**"))
        t = time.perf_counter()
        listed = camp.campaigns(store)
        rows.append((f"list the {len(listed):,} campaigns of two members or more", f"{time.perf_counter() - t:.2f} s",
                     ""))
        store.close()
    return rows


def _dynamodb_rows() -> list[tuple[str, str, str]]:
    from moto import mock_aws

    from benchmarks import counting_aws_calls

    rng = random.Random(18)
    rows = []
    with counting_aws_calls() as calls, mock_aws():
        import boto3

        from sentinelle.store.dynamodb import DynamoDBStore, create_table

        create_table("sentinelle-bench")
        boto3.client("secretsmanager").create_secret(Name="bench/hash-key", SecretString="b" * 64)
        store = DynamoDBStore("sentinelle-bench", hash_key_secret="bench/hash-key")
        store.hash_key()
        incidents = [r.incident for r in store.record_many([_finding(n, rng) for n in range(1_000)], T0)]
        calls.clear()
        camp.join(store, incidents, T0)
        n = len(incidents)
        total = sum(calls.values())
        rows.append((f"join {n:,} incidents: calls", " + ".join(f"{v} {k}" for k, v in sorted(calls.items())),
                     f"{total / n:.1f} calls per incident" + ("" if not calls["Scan"] else ", SCAN")))
        calls.clear()
        listed = camp.campaigns(store)
        rows.append((f"list {len(listed)} campaigns: calls", " + ".join(f"{v} {k}" for k, v in sorted(calls.items())),
                     "no Scan" if not calls["Scan"] else "SCAN"))
    return rows


def run() -> str:
    lines = ["## campaigns", "",
             "`python -m benchmarks campaigns`. Scam incidents: one in ten with no number, the same words but for a "
             "case number (near duplicates: one campaign); of the others a third share a phone number with about ten "
             "others, "
             "every tenth also a landing domain with about two others: campaigns that grow and merge. SQLite on a "
             "temporary file (WAL), CPU time of the process; DynamoDB counts API calls under moto.", "",
             "| measure | value | rate |", "|---|---|---|"]
    for name, value, rate in _sqlite_rows() + _dynamodb_rows():
        lines.append(f"| {name} | {value} | {rate} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
