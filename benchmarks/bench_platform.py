"""Platform figures: detector speed, end-to-end scan into DynamoDB (moto), memory, cold starts, layer size, cost."""

from __future__ import annotations

import asyncio
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
LAYER = ROOT / "layers" / "sentinelle"
WATCHLIST = ROOT / "examples" / "demo" / "watchlist.yaml"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
N = 10_000  # posts and profiles each
SCALE_ITEMS = 1_000  # items per measure of the scaling table
SCALES = (1, 10, 100, 1_000)
COMMAND = "python -m benchmarks platform"

# Prices (eu-west-3 / us-east-1 list prices, November 2026; check https://aws.amazon.com/pricing/).
LAMBDA_GB_S_ARM = 0.0000133334  # USD per GB-second, arm64
LAMBDA_REQUEST = 0.20 / 1e6  # USD per invocation
DYNAMODB_WRU = 0.625 / 1e6  # USD per on-demand write request unit (1 KB)
DYNAMODB_RRU = 0.125 / 1e6  # USD per on-demand read request unit (4 KB, strongly consistent)
SNS_PUBLISH = 0.50 / 1e6  # USD per publish
SNS_EMAIL = 2.00 / 1e5  # USD per e-mail delivery
MEMORY_MB = 512  # template.yaml Globals.Function.MemorySize
LAMBDA_UNZIPPED_LIMIT = 262_144_000  # bytes, function code and layers together
VCPU_PER_MB = 1 / 1769  # Lambda gives one full vCPU at 1,769 MB, proportionally below
PAGE_ITEMS, PAGE_WAIT_S = 40, 0.3  # assumed platform page size and answer time for the wait share

WORDS = """le la les un une des et ou mais donc pour avec sans sur sous dans chez notre votre nouveau
collection soldes hiver printemps boutique magasin livraison commande merci bravo super journée soirée
the a an and or but for with without on in our your new store shop delivery order thanks great day
weekend coffee paris lyon bordeaux marseille lille nantes concert match photo today tomorrow meeting
conseil patrimoine épargne santé rendez-vous médecin pharmacie famille enfants école travail projet""".split()
SCAM = ["Giveaway! {brand} offre une carte cadeau de 500€ aux 100 premiers: {url}",
        "{brand} support: your account is locked, verify your card at {url} within 24h",
        "Gagnez un iPhone avec {brand} ! Cliquez {url} et entrez vos coordonnées bancaires",
        "Investissez avec {brand}: rendement garanti 20% par mois, contactez +33 7 56 12 34 89",
        "URGENT {brand} refund: DM us your card number and CVV to get your money back {url}"]
LEAK = ["Rappel patient M. Jean DUPONT, tél 06 12 34 56 78, RDV lundi",
        "Virement reçu sur FR76 3000 6000 0112 3456 7890 189, merci !",
        "Client card 4539 1488 0343 6467 declined, call back 01 45 67 89 12",
        "Contact: claire.martin@gmail.com pour le dossier",
        "oops token ghp_Xk9Lm2Pq8Rs4Tv6Wy1Za3Bc5De7Fg0Hi2Jk4"]
URLS = ["https://maisonlumiere-gift.shop/claim", "https://maisonlumiere.fr/noel", "https://bit.ly/3xYz12",
        "https://lumiere-patrimoine.fr/epargne", "https://maison-lumiere.support/verify", "https://example.com/a"]
FIRST = "claire julien sophie marie jean pierre louis emma lea camille hugo nathan julie laura alice".split()
LAST = "dubois martin bernard petit durand leroy moreau simon laurent lefebvre michel garcia roux".split()


# ------------------------------------------------------------------------------------ corpus

def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _post_text(rng: random.Random, brands: list[str], own: bool) -> str:
    roll = rng.random()
    if own and roll < 0.05:
        return f"{_sentence(rng, 6)} {rng.choice(LEAK)}"
    if not own and roll < 0.05:
        return rng.choice(SCAM).format(brand=rng.choice(brands), url=rng.choice(URLS))
    if roll < 0.25:
        return f"{_sentence(rng, rng.randint(5, 25))} #{rng.choice(brands).replace(' ', '')} {rng.choice(URLS)}"
    return " ".join(_sentence(rng, rng.randint(4, 18)) for _ in range(rng.randint(1, 3)))


def make_posts(n: int, own_handle: str | None, brands: list[str], seed: int = 7) -> list[Any]:
    from sentinelle.model import Author, Post

    rng = random.Random(seed)
    out = []
    for i in range(n):
        handle = own_handle or f"{rng.choice(FIRST)}_{rng.choice(LAST)}{rng.randint(1, 999)}"
        out.append(Post(platform="x", id=f"p{i}", url=f"https://x.com/{handle}/status/{i}", created_at=NOW,
                        author=Author(id=f"u{i}", handle=handle, display_name=handle.replace("_", " ")),
                        text=_post_text(rng, brands, own_handle is not None), lang="fr"))
    return out


def make_profiles(n: int, people: list[str], brands: list[str], seed: int = 11) -> list[Any]:
    from sentinelle.model import Profile

    rng = random.Random(seed)
    out = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.03:  # a copy of a protected person, with a twist
            name = rng.choice(people)
            display = rng.choice([name, name.replace("i", "1"), name + " officiel", name.upper()])
            handle = re.sub(r"\W", "", display.lower()) + rng.choice(["", "_", "_off", "2"])
            bio = rng.choice(["Conseillère patrimoine, écrivez-moi en DM", "Official account", _sentence(rng, 8)])
        elif roll < 0.05:  # a brand lookalike
            brand = rng.choice(brands)
            display, handle = f"{brand} Support", re.sub(r"\W", "", brand.lower()) + "_help"
            bio = f"Service client {brand} 24/7 {rng.choice(URLS)}"
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            display, handle = f"{first.title()} {last.title()}", f"{first}{last}{rng.randint(1, 9999)}"
            bio = _sentence(rng, rng.randint(3, 15))
        out.append(Profile(platform="x", id=f"u{i}", handle=handle, display_name=display, bio=bio,
                           url=f"https://x.com/{handle}", followers=rng.randint(0, 5000), verified=False,
                           created_at=NOW))
    return out


def scaled_watchlist(n: int) -> Any:
    """The demo watchlist grown to n protected people and n brands (names made up, deterministic)."""
    from sentinelle.watchlist import load_watchlist, parse_watchlist

    base = load_watchlist(WATCHLIST).model_dump(mode="json")
    rng = random.Random(n)
    people = base["people"][:n]
    while len(people) < n:
        first, last = rng.choice(FIRST).title(), "".join(rng.choice(LAST) for _ in range(2)).title()
        people.append({"name": f"{first} {last}", "accounts": [{"platform": "x", "handle": f"{first}{last}{len(people)}"}]})
    brands = base["brands"][:n]
    while len(brands) < n:
        word = "".join(rng.choice("bcdfglmnprstv") + rng.choice("aeiou") for _ in range(4)).title()
        brands.append({"name": f"{word} Group", "hashtags": [word], "domains": [f"{word.lower()}{len(brands)}.com"]})
    base.update(people=people, brands=brands)
    return parse_watchlist(base)


# ------------------------------------------------------------------------------------ measures

def cpu_rate(fn: Callable[[], int], items: int) -> tuple[float, int]:
    """(items per CPU-second, result of fn) — CPU time of this process, best of 2 runs."""
    best, result = float("inf"), 0
    for _ in range(2):
        started = time.process_time()
        result = fn()
        best = min(best, time.process_time() - started)
    return items / best if best else float("inf"), result


def detect_all(detector: Any, items: list[Any], ctx: Any) -> int:
    found = 0
    for item in items:
        if detector.applies(item, ctx):
            found += len(detector.detect(item, ctx))
    return found


def corpus_for(detector: Any, posts: list[Any], own_posts: list[Any], profiles: list[Any]) -> list[Any]:
    if detector.reads == "profiles":
        return profiles
    chosen = own_posts if detector.audience == "own" else posts
    return chosen + profiles if detector.reads == "both" else chosen


def detector_rows(wl: Any) -> tuple[list[list[str]], dict[str, float], dict[str, float]]:
    from sentinelle.detectors import Context, registry

    brands = [b.name for b in wl.brands]
    own = next(a.handle for a in wl.official_accounts if a.platform == "x")
    posts, own_posts = make_posts(N, None, brands), make_posts(N, own, brands, seed=9)
    profiles = make_profiles(N, [p.name for p in wl.people], brands)
    rows, rates, finding_rates = [], {}, {}
    for name, det in sorted(registry().items()):
        items = corpus_for(det, posts, own_posts, profiles)
        ctx = Context.ephemeral(watchlist=wl, now=NOW)
        detect_all(det, items[:50], ctx)  # compile per-watchlist state outside the timing
        rate, found = cpu_rate(lambda: detect_all(det, items, ctx), len(items))
        tracemalloc.start()
        detect_all(det, items, Context.ephemeral(watchlist=wl, now=NOW))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rates[name], finding_rates[name] = rate, found / len(items)
        rows.append([f"{name}: detector alone, {len(items):,} {det.reads} ({det.audience})",
                     f"{rate:,.0f} items/s per core", f"{found:,} findings ({100 * found / len(items):.1f} %); "
                     f"peak {peak / 2**20:.1f} MiB traced"])
    return rows, rates, finding_rates


def scaling_rows() -> tuple[list[list[str]], dict[str, dict[int, float]]]:
    from sentinelle.detectors import Context, registry

    table: dict[str, dict[int, float]] = {}
    rows = []
    for n in SCALES:
        wl = scaled_watchlist(n)
        brands = [b.name for b in wl.brands[:5]]
        own = next(a.handle for a in wl.official_accounts if a.platform == "x")
        posts, own_posts = make_posts(SCALE_ITEMS, None, brands), make_posts(SCALE_ITEMS, own, brands, seed=9)
        profiles = make_profiles(SCALE_ITEMS, [p.name for p in wl.people[:5]], brands)
        cells = []
        for name, det in sorted(registry().items()):
            items = corpus_for(det, posts, own_posts, profiles)
            ctx = Context.ephemeral(watchlist=wl, now=NOW)
            started = time.process_time()
            detect_all(det, items[:1], ctx)  # builds the per-watchlist indexes
            build = time.process_time() - started
            rate, _ = cpu_rate(lambda: detect_all(det, items, ctx), len(items))
            table.setdefault(name, {})[n] = rate
            cells.append(f"{name} {rate:,.0f}/s (index {build * 1000:,.0f} ms)")
        rows.append([f"{n:,} protected people and {n:,} brands", "; ".join(cells),
                     f"{SCALE_ITEMS:,} items per detector"])
    return rows, table


def _item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item: attribute names plus values (close enough for WRU counting)."""
    size = 0
    for name, value in item.items():
        (kind, v), = value.items()
        size += len(name.encode()) + (len(str(v).encode()) if kind != "N" else 8)
    return size


def end_to_end_rows(wl: Any, finding_rates: dict[str, float]) -> tuple[list[list[str]], dict[str, Any]]:
    """Each detector over a replay file of N uniform items into DynamoDB under moto."""
    import boto3
    import yaml
    from moto import mock_aws

    from sentinelle.detectors import Context, registry
    from sentinelle.pipeline import scan
    from sentinelle.sources import build_source
    from sentinelle.store.dynamodb import DynamoDBStore

    loader = type("L", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("!", lambda l, s, n: None)
    props = yaml.load((ROOT / "template.yaml").read_text(), Loader=loader)["Resources"]["IncidentTable"]["Properties"]
    brands = [b.name for b in wl.brands]
    own = next(a.handle for a in wl.official_accounts if a.platform == "x")
    posts, own_posts = make_posts(N, None, brands), make_posts(N, own, brands, seed=9)
    profiles = make_profiles(N, [p.name for p in wl.people], brands)
    rows: list[list[str]] = []
    totals: dict[str, dict[str, float]] = {}
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(key, "testing")
    gsis = len(props["GlobalSecondaryIndexes"])
    for name, det in sorted(registry().items()):
        items = corpus_for(det, posts, own_posts, profiles)
        with tempfile.TemporaryDirectory() as tmp, mock_aws():
            table = f"bench-{name}"
            boto3.client("dynamodb").create_table(
                TableName=table, BillingMode=props["BillingMode"], AttributeDefinitions=props["AttributeDefinitions"],
                KeySchema=props["KeySchema"], GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
                StreamSpecification={"StreamEnabled": True, **props["StreamSpecification"]})
            path = Path(tmp) / "items.jsonl"
            path.write_text("".join(i.model_dump_json() + "\n" for i in items), encoding="utf-8")
            source = build_source({"type": "replay", "path": str(path),
                                   "query": {"kind": "search_posts", "value": "bench"}})
            store = DynamoDBStore(table)
            calls: Counter[str] = Counter()
            wru = [0.0]

            def count(params: dict[str, Any], model: Any, **_: Any) -> None:
                calls[model.name] += 1
                if model.name == "PutItem":
                    kb = -(-_item_size(params["Item"]) // 1024)  # ceil: DynamoDB bills whole KB
                    wru[0] += kb * (1 + gsis)  # the table and each index holding the item (projection ALL)

            client = store.model._get_connection().connection.client
            client.meta.events.register("before-parameter-build.dynamodb", count)  # params as the API takes them
            started_wall, started_cpu = time.perf_counter(), time.process_time()
            summary = asyncio.run(scan(det, wl, [source], store, store, now=NOW, ctx=Context.ephemeral(watchlist=wl, now=NOW)))
            wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
            writes = sum(calls[op] for op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem",
                                              "TransactWriteItems"))
            incident_writes = calls["PutItem"] - 1  # less the checkpoint
            reads = sum(calls[op] for op in ("GetItem", "BatchGetItem", "Query"))
            per = incident_writes / summary.findings if summary.findings else 0.0
            totals[name] = {"writes": incident_writes, "findings": summary.findings, "wru": wru[0], "reads": reads,
                            "items": summary.items_read, "alerts": summary.new + summary.escalated}
            rows.append([f"{name}: replay of {len(items):,} items into DynamoDB (moto), end to end",
                         f"{summary.items_read / wall:,.0f} items/s ({summary.items_read / cpu:,.0f} per CPU-s)",
                         f"{summary.findings:,} findings, {incident_writes:,} incident writes = "
                         f"**{per:.2f} writes per finding** ({wru[0] / max(1, summary.findings):.1f} WRU each "
                         f"with {gsis} indexes), {reads:,} read calls, {writes:,} write calls in all"])
    return rows, totals


def cold_start_rows() -> tuple[list[list[str]], dict[str, float]]:
    """Import time of each Lambda handler module in a fresh interpreter, the layer on sys.path."""
    rows, times = [], {}
    env = {**os.environ, "PYTHONPATH": str(LAYER), "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3",
           "POWERTOOLS_SERVICE_NAME": "sentinelle", "POWERTOOLS_METRICS_NAMESPACE": "Sentinelle",
           "SENTINELLE_TABLE": "sentinelle", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("POWERTOOLS_TRACE_DISABLED", None)  # on Lambda the tracer is on (Tracing: Active)
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        name = app.parent.name
        best, later, offenders = _import_seconds(app, env, FIRST_CALL.get(name.split("_")[0], ()))
        times[name] = best
        target = " (target < 300 ms)" if name.startswith("scan_") else ""
        rows.append([f"cold start: import of functions/{name}/app.py{target}",
                     f"{best * 1000:,.0f} ms" + (f" + {later * 1000:,.0f} ms of imports deferred to the first "
                                                 "invocation" if later >= 0.0005 else ""),
                     "top: " + ", ".join(f"{n} {ms:,.0f} ms" for n, ms in offenders)])
    return rows, times


# Modules a handler imports lazily on its first invocation: still part of a cold start's latency.
FIRST_CALL = {"scan": ("sentinelle.runner", "sentinelle.config", "sentinelle.detectors", "sentinelle.store.dynamodb",
                       "sentinelle.sources", "sentinelle.sources.replay", "sentinelle.pipeline"),
              "api": ("sentinelle.store.dynamodb",)}


def _import_seconds(app: Path, env: dict[str, str], later: tuple[str, ...]) -> tuple[float, float, list[tuple[str, float]]]:
    """Best of 3 (by handler import) wall times in a fresh `python -X importtime`: the handler module,
    then the modules its first invocation imports; and the top imports of both."""
    code = ("import importlib, importlib.util, sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
            "s = importlib.util.spec_from_file_location('app', sys.argv[2]); m = importlib.util.module_from_spec(s); "
            "s.loader.exec_module(m); a = time.perf_counter() - t; t = time.perf_counter(); "
            "[importlib.import_module(n) for n in sys.argv[3].split(',') if n]; print(a, time.perf_counter() - t)")
    best, deferred, offenders = float("inf"), 0.0, []
    for _ in range(3):  # warm the file cache; keep the fastest (the least disturbed)
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", code, str(app.parent), str(app), ",".join(later)],
                              capture_output=True, text=True, env=env, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{app}: {done.stderr[-500:]}")
        first, second = map(float, done.stdout.strip().splitlines()[-1].split())
        if first < best:
            best, deferred, offenders = first, second, _top_imports(done.stderr)
    return best, deferred, offenders


def _top_imports(stderr: str, k: int = 5) -> list[tuple[str, float]]:
    """The heaviest top-level packages in `-X importtime` output (cumulative ms), stdlib start-up excluded."""
    tops: dict[str, float] = {}
    for line in stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m and len(m.group(3)) <= 1:
            top = m.group(4).split(".")[0]
            tops[top] = max(tops.get(top, 0.0), int(m.group(2)) / 1000)
    start_up = {"encodings", "site", "_frozen_importlib_external", "zipimport", "codecs", "io", "abc", "os",
                "stat", "posixpath", "genericpath", "_collections_abc", "_sitebuiltins", "time", "importlib"}
    return sorted(((n, ms) for n, ms in tops.items() if n not in start_up), key=lambda t: -t[1])[:k]


def _tree_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts) / 2**20


def layer_rows() -> list[list[str]]:
    """pip-install the layer's requirements and package for the Lambda platform into a temp dir."""
    rows = []
    package_mb = _tree_mb(LAYER / "sentinelle")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "python"
        attempts = [
            ("arm64 wheels for Python 3.12 (the deployed platform)",
             ["--platform", "manylinux2014_aarch64", "--python-version", "3.12", "--implementation", "cp",
              "--only-binary=:all:"]),
            ("wheels for this machine", []),
        ]
        for label, extra in attempts:
            shutil.rmtree(target, ignore_errors=True)
            done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                                   "--no-compile", "--target", str(target), "-r", str(LAYER / "requirements.txt"),
                                   *extra], capture_output=True, text=True, timeout=600)
            if done.returncode == 0:  # then what the layer's Makefile installs without dependencies
                done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                                       "--no-compile", "--no-deps", "--target", str(target), "-r",
                                       str(LAYER / "requirements-nodeps.txt"), *extra],
                                      capture_output=True, text=True, timeout=600)
            if done.returncode == 0:
                shutil.copytree(LAYER / "sentinelle", target / "sentinelle",
                                ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
                total_mb = _tree_mb(target)
                zipped = shutil.make_archive(str(Path(tmp) / "layer"), "zip", tmp, "python")
                zipped_mb = Path(zipped).stat().st_size / 2**20
                biggest = sorted(((p.name, _tree_mb(p)) for p in target.iterdir() if p.is_dir()
                                  and not p.name.endswith(".dist-info")), key=lambda t: -t[1])[:5]
                rows.append(["built layer (pip install --target, " + label + ")",
                             f"{total_mb:,.1f} MiB unzipped, {zipped_mb:,.1f} MiB zipped"
                             + (" — **over Lambda's limit**" if total_mb * 2**20 > LAMBDA_UNZIPPED_LIMIT else ""),
                             f"package {package_mb:.1f} MiB; largest: " + ", ".join(f"{n} {mb:.1f} MiB" for n, mb in biggest)
                             + " (Lambda limit: 262,144,000 bytes = 250 MiB unzipped, function and layers together)"])
                return rows
            last_error = done.stderr.strip().splitlines()[-1:] or ["?"]
    # Offline or refused: the venv's installed distributions of the requirements, measured.
    from importlib import metadata

    names = [re.split(r"[<>=\[ ;]", line, maxsplit=1)[0] for line in (LAYER / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    seen, todo, total = set(), list(names), 0.0
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        total += sum((dist.locate_file(f).stat().st_size for f in dist.files or []
                      if dist.locate_file(f).exists()), 0) / 2**20
        todo += [re.split(r"[<>=\[ ;(]", r, maxsplit=1)[0] for r in dist.requires or [] if "extra ==" not in r]
    rows.append(["layer size (installed distributions in the venv; pip failed: " + last_error[0][:80] + ")",
                 f"{total + package_mb:,.1f} MiB unzipped", f"package {package_mb:.1f} MiB"])
    return rows


def cost_rows(rates: dict[str, float], totals: dict[str, dict[str, float]],
              scaling: dict[str, dict[int, float]]) -> list[str]:
    """USD per million items scanned, from the measured figures; and how it grows with the watchlist."""
    gb = MEMORY_MB / 1024
    vcpu = min(1.0, MEMORY_MB * VCPU_PER_MB)
    lines = ["", "### Cost of scanning one million posts", "",
             f"Lambda arm64 at {MEMORY_MB} MB ({vcpu:.2f} vCPU: one vCPU at 1,769 MB), list prices "
             f"(GB-s ${LAMBDA_GB_S_ARM}, request $0.20/M, DynamoDB on-demand write unit $0.625/M, read unit "
             f"$0.125/M, SNS publish $0.50/M, e-mail $2/100k). Below 1,769 MB a CPU-bound scan costs the same "
             "GB-s at any memory size (less memory, proportionally less CPU, longer run).", "",
             "| detector (per 1M items it reads) | detect CPU (GB-s) | waiting on the platform (GB-s) | DynamoDB writes "
             "| SNS | total |",
             "|---|---|---|---|---|---|"]
    for name, rate in sorted(rates.items()):
        t = totals[name]
        findings_per_item = t["findings"] / max(1, t["items"])
        wru_per_finding = t["wru"] / max(1, t["findings"])
        alerts_per_item = t["alerts"] / max(1, t["items"])
        seconds = 1e6 / rate / vcpu
        detect_gbs = seconds * gb
        wait_gbs = 1e6 / PAGE_ITEMS * PAGE_WAIT_S * gb  # pages fetched one after another, worst case
        findings = 1e6 * findings_per_item
        dynamo = findings * wru_per_finding * DYNAMODB_WRU + findings * DYNAMODB_RRU + 1e6 / 1000 * LAMBDA_REQUEST
        alerts = 1e6 * alerts_per_item
        sns = alerts * (SNS_PUBLISH + SNS_EMAIL)
        total = (detect_gbs + wait_gbs) * LAMBDA_GB_S_ARM + dynamo + sns
        lines.append(f"| {name} | {detect_gbs:,.0f} (${detect_gbs * LAMBDA_GB_S_ARM:,.3f}) | {wait_gbs:,.0f} "
                     f"(${wait_gbs * LAMBDA_GB_S_ARM:,.3f}) | {findings:,.0f} findings × {wru_per_finding:.1f} WRU "
                     f"(${findings * wru_per_finding * DYNAMODB_WRU:,.3f}) | {alerts:,.0f} alerts "
                     f"(${sns:,.2f}) | **${total:,.2f}** |")
    lines += ["", "Measured rates used (end-to-end runs above): "
              + "; ".join(f"{n} {100 * t['findings'] / max(1, t['items']):.1f} % of items give a finding, "
                          f"{t['writes'] / max(1, t['findings']):.2f} incident writes and "
                          f"{t['wru'] / max(1, t['findings']):.1f} WRU per finding" for n, t in sorted(totals.items()))
              + ". Each new incident is one alert (no digests assumed). WRU count the table and its three indexes, "
              "which project the whole item (ALL): a write of a 3 KB incident costs 3 WRU on the table and 3 on each "
              "index. The synthetic corpus has 5 % scam-like posts, 5 % leaky own posts and 5 % "
              "lookalike profiles: real feeds are usually quieter, so DynamoDB and SNS shares are upper bounds. "
              f"The wait share assumes {PAGE_ITEMS} items per page and {PAGE_WAIT_S} s per answer; "
              "requests assume 1,000 items per invocation.",
              "", "### How cost grows with the watchlist", "",
              "Detector CPU per million items (Lambda GB-s cost) at each size, from the scaling measure:", "",
              "| protected people and brands | " + " | ".join(sorted(scaling)) + " |",
              "|---|" + "---|" * len(scaling)]
    for n in SCALES:
        cells = []
        for name in sorted(scaling):
            gbs = 1e6 / scaling[name][n] / vcpu * gb
            cells.append(f"${gbs * LAMBDA_GB_S_ARM:,.3f} ({gbs:,.0f} GB-s)")
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    growth = {name: scaling[name][SCALES[0]] / scaling[name][SCALES[-1]] for name in scaling}
    lines += ["", "From 1 to 1,000 protected people and brands the detector CPU per item grows "
              + ", ".join(f"×{g:.1f} for {n}" for n, g in sorted(growth.items()))
              + ". Queries (and so platform requests and the wait share) grow linearly with the watchlist, "
              "since each person and brand is searched for; incidents and alerts grow with what is found, not "
              "with the watchlist."]
    return lines


def run() -> str:
    from sentinelle.watchlist import load_watchlist

    wl = load_watchlist(WATCHLIST)
    started = time.perf_counter()
    det_rows, rates, finding_rates = detector_rows(wl)
    scale_rows, scaling = scaling_rows()
    e2e_rows, totals = end_to_end_rows(wl, finding_rates)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cold_rows, _ = cold_start_rows()
    size_rows = layer_rows()
    rows = det_rows + scale_rows + e2e_rows + [["peak memory of this benchmark process (all of the above)",
                                                 f"{peak_rss:,.0f} MiB max RSS", "getrusage ru_maxrss"]] \
        + cold_rows + size_rows
    lines = ["## Platform: detectors, end to end, cold starts, layer, cost", "",
             f"`{COMMAND}` (part of `make bench`). {N:,} generated posts (strangers' and the official "
             f"account's) and {N:,} generated profiles against the demo watchlist; detector rates are CPU time "
             "of this process (best of 2, one core); the end-to-end scan replays a JSON-lines file through "
             "the pipeline into DynamoDB under moto, so its rate is dominated by moto's in-process emulation "
             "(a lower bound for real DynamoDB); writes are counted by a botocore `before-parameter-build` event hook. Python "
             f"{sys.version.split()[0]} on {os.cpu_count()} cores; total {time.perf_counter() - started:,.0f} s.", "",
             "| measure | figure | detail |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += cost_rows(rates, totals, scaling)
    return "\n".join(lines) + "\n"  # the collector prints it and keeps it in docs/benchmarks.md


if __name__ == "__main__":
    print(run())
