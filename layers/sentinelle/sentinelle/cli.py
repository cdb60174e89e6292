"""The `sentinelle` command: run, check, serve, incidents, watchlist validate."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn, Sequence

EXIT_OK, EXIT_SOURCE_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or configuration: exit 2 with the message on standard error."""


DEFAULT_DB = Path(".sentinelle") / "sentinelle.db"


def _config_if_any(path: str | None) -> Any:
    """The run configuration named by --config, $SENTINELLE_CONFIG or ./sentinelle.yaml; None
    without one (the read-only commands do not fall back to the demo)."""
    if path or os.environ.get("SENTINELLE_CONFIG") or Path("sentinelle.yaml").exists():
        return _load_config(path)
    return None


def _store_path(db: str | None, config: Any) -> tuple[Path, bool]:
    """Where the store is, and whether its folder may be made: --db, else $SENTINELLE_DB, else the
    configuration's `store:`, else .sentinelle/sentinelle.db (whose folder is made by `run`)."""
    if db or os.environ.get("SENTINELLE_DB"):
        return Path(db or os.environ["SENTINELLE_DB"]), False
    if config is not None and config.store:
        return config.base_dir / config.store, True
    return DEFAULT_DB, True


def _open_store(db: str | None, config: Any, *, create: bool, readonly: bool = False) -> Any:
    """The SQLite store. Only `run` creates one; the other commands refuse a missing file rather
    than answer from an empty store made on the spot. `readonly` (commands that only read) opens
    the file without writing to it, so a read-only file or mount can still be listed."""
    from sentinelle.store.sqlite import SQLiteStore

    path, may_make_folder = _store_path(db, config)
    if readonly and path.exists():
        return SQLiteStore(str(path), readonly=True)
    if not path.exists():
        if not create:
            raise UsageError(f"no store at {path}: nothing has been recorded there (run `sentinelle run` "
                             "first, or name the store with --db or the configuration's `store:`)")
        if not path.parent.is_dir():
            if not may_make_folder:
                raise UsageError(f"--db {path}: the folder {path.parent} does not exist")
            path.parent.mkdir(parents=True, exist_ok=True)
    return SQLiteStore(str(path))


def _detector_names(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    from sentinelle.detectors import registry

    known = registry()
    for name in values:
        if name not in known:
            raise UsageError(f"--detector: unknown detector {name!r} (known: {', '.join(sorted(known))})")
    return list(dict.fromkeys(values))


# --- check -------------------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from sentinelle.detectors import Context, registry
    from sentinelle.incidents import Allowlist
    from sentinelle.model import parse_item
    from sentinelle.watchlist import WatchlistError, load_watchlist

    if args.watchlist:
        try:
            watchlist = load_watchlist(args.watchlist)
        except WatchlistError as exc:
            raise UsageError(_problems(exc)) from None
        base = Path(args.watchlist).resolve().parent
    elif args.config:  # the run configuration's watchlist
        config = _load_config(args.config)
        watchlist, base = config.wl, config.watchlist_dir
    else:
        raise UsageError("check: --watchlist PATH (or --config with a run configuration) is required")
    names = _detector_names(args.detector)
    detectors = [d for n, d in sorted(registry().items()) if names is None or n in names]
    allowed = Allowlist.build(watchlist)  # the watchlist's allowlist, as a scan applies it
    # A random hash key: the output holds no keyed hash, and nothing is kept between runs.
    ctx = Context.ephemeral(watchlist, explicit=names is not None, online=args.online)
    if args.online:
        from sentinelle.signals.fetch import OnlineEnrichers

        from sentinelle.readers.pictures import PictureReader, guarded_fetch

        ctx.enrichers = OnlineEnrichers(watchlist, base_dir=base)
        ctx.pictures = PictureReader(guarded_fetch(ctx.enrichers.client))
    # UTF-8 whatever the locale; a lone surrogate left in an id is written as its JSON escape.
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")  # type: ignore[union-attr]
    out = sys.stdout
    for raw in sys.stdin.buffer:
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            result: dict[str, Any] = {"id": None, "error": f"not valid UTF-8: {exc.reason} at byte {exc.start}"}
        else:
            result = check_line(line, detectors, ctx, parse_item, ValidationError, allowed)
        out.write(json.dumps(result, ensure_ascii=False))
        out.write("\n")
    out.flush()
    return EXIT_OK


def _error_text(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ()) if p not in ("post", "profile"))
        return f"invalid item: {loc + ': ' if loc else ''}{first.get('msg')}"
    return f"invalid item: {exc}"


def check_line(line: str, detectors: list[Any], ctx: Any, parse_item: Any, invalid: Any,
               allowed: Any = None) -> dict[str, Any]:
    """One output object for one input line, in the contract's shape; never raises."""
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        return {"id": None, "error": f"not valid JSON: {exc}"}
    raw_id = data.get("id") if isinstance(data, dict) else None
    item_id = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else None
    if not isinstance(data, dict):
        return {"id": None, "error": "not a JSON object"}
    if data.get("type") not in ("post", "profile"):
        return {"id": item_id, "error": "invalid item: type must be \"post\" or \"profile\""}
    try:
        item = parse_item(data)
    except invalid as exc:
        return {"id": item_id, "error": _error_text(exc)}
    findings: list[dict[str, Any]] = []
    for det in detectors:
        if not det.applies(item, ctx):
            continue
        try:
            findings.extend(f.public() for f in det.detect(item, ctx) if allowed is None or not allowed.suppresses(f))
        except Exception as exc:  # one hostile item must not end the stream
            logging.getLogger("sentinelle.check").exception("detector %s failed on %s", det.name, item.id)
            return {"id": item.id, "error": f"detector {det.name} failed: {type(exc).__name__}"}
    return {"id": item.id, "findings": findings}


# --- run ---------------------------------------------------------------------------------------

def _load_config(path: str | None) -> Any:
    from sentinelle.config import ConfigError, default_config_path, load_config
    from sentinelle.watchlist import WatchlistError

    location = path or str(default_config_path())
    try:
        return load_config(location)
    except (ConfigError, WatchlistError) as exc:
        raise UsageError(_problems(exc)) from None


def drain_outbox(store: Any, config: Any, *, console: Any = None) -> Any:
    """Local mode's alert trigger: deliver what the scans put in the outbox, as each sink accepts it."""
    from sentinelle.alerts.dispatch import build_sinks, drain

    from sentinelle.alerts.sinks import ConsoleSink

    sinks = build_sinks(config.alerts, os.environ, config.wl.teams)
    if console is not None:  # the same console sink, writing where the caller says
        sinks = [ConsoleSink(console) if isinstance(sink, ConsoleSink) else sink for sink in sinks]
    report = drain(store, sinks, config.wl.thresholds, teams=config.wl.teams)
    if not report.delivered and not report.pending:
        return None
    for sink, reason in report.failures:  # those alerts stay in the outbox for the next run
        print(f"sentinelle: alert sink {sink} failed: {reason}; {len(report.pending)} alert(s) kept for the next run",
              file=sys.stderr)
    return report


def run_once(config: Any, store: Any, names: list[str], *, online: bool | None = None,
             alerts_to_stderr: bool = False) -> tuple[list[Any], Any]:
    from rich.console import Console

    from sentinelle.runner import run_detector

    summaries = []
    console = Console(stderr=True)
    for name in names:
        # A spinner on a terminal while live platforms answer; nothing when piped or logged.
        with console.status(f"scanning with {name}…", spinner="dots"):
            summaries.append(run_detector(name, config=config, store=store, online=online))
    # With --json, standard output is for the summaries alone: console alerts go to standard error.
    report = drain_outbox(store, config, console=console if alerts_to_stderr else None)
    store.purge_expired()  # SQLite has no TTL of its own: closed incidents past their expiry go here
    return summaries, report


def _changed(s: Any) -> int:
    return int(s.new + s.escalated + s.reopened)


def print_summaries(summaries: list[Any], *, alerted: int | None = None, stamp: str | None = None) -> None:
    """The run's summary table; one sentence instead when nothing is new and every source answered."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(emoji=False)  # a query key like :fire: stays text
    seconds = sum(s.seconds for s in summaries)
    prefix = f"{stamp} " if stamp else ""
    if not any(_changed(s) or s.could_not_check for s in summaries):
        read = sum(s.items_read for s in summaries)
        known = [f"{n} {what}" for n, what in ((sum(s.repeat for s in summaries), "already known"),
                                               (sum(s.suppressed for s in summaries), "suppressed")) if n]
        console.print(f"{prefix}Nothing new: {', '.join(s.detector for s in summaries)} read {read} new item(s) "
                      f"in {seconds:.2f} s and found no new, escalated or reopened incident"
                      + (f" ({', '.join(known)})." if known else "."), highlight=False, markup=False)
        return
    table = Table(title=f"{prefix}Scan summary ({seconds:.2f} s)", title_justify="left")
    table.add_column("detector", no_wrap=True)
    # "reopened" only when it happened: the usual table fits 80 columns.
    cols = ["items", "findings", "new", "escalated", *(["reopened"] if any(s.reopened for s in summaries) else []),
            "repeat", "suppressed"]
    for col in cols:
        table.add_column(col, justify="right", no_wrap=True)
    for s in summaries:
        values = {"items": s.items_read, "findings": s.findings, "new": s.new, "escalated": s.escalated,
                  "reopened": s.reopened, "repeat": s.repeat, "suppressed": s.suppressed}
        table.add_row(escape(s.detector), *(str(values[c]) for c in cols))
    console.print(table)
    changed = sum(_changed(s) for s in summaries)
    if alerted is not None and alerted != changed:
        # The digest counts what crossed the alert threshold; the table counts every change.
        console.print(f"{changed} new, escalated or reopened incident(s); {alerted} alerted (the others are "
                      "below the alert threshold, `thresholds.alert` in the watchlist, joined a campaign someone "
                      "was already told about (`sentinelle campaigns`), or their alert failed)",
                      highlight=False, markup=False)
    # Silence from a source is not safety: say which could not be checked, and why.
    for s in summaries:
        for r in s.could_not_check:
            console.print(f"[bold red]could not check[/] {escape(f'{r.source} ({r.query}) for {s.detector}: {r.reason}')}",
                          highlight=False)


def _intervals(config: Any, names: list[str], every: str | None) -> dict[str, float] | None:
    """Seconds between runs per detector: --every INTERVAL for all, bare --every for each
    detector's own `every:`, None without --every (run once)."""
    from sentinelle.config import parse_interval

    if every is None:
        return None
    try:
        if every == _OWN_SCHEDULE:
            return {n: parse_interval(config.detectors[n].every).total_seconds() for n in names}
        seconds = parse_interval(every).total_seconds()
    except ValueError as exc:
        raise UsageError(f"--every: {exc}") from None
    return {n: seconds for n in names}


_OWN_SCHEDULE = "each detector's every:"


def cmd_run(args: argparse.Namespace) -> int:
    from datetime import datetime, timezone

    config = _load_config(args.config)
    names = _detector_names(args.detector) or [n for n, d in config.detectors.items() if d.enabled]
    if not names:
        raise UsageError(f"{config.path}: detectors: no detector is configured")
    missing = [n for n in names if n not in config.detectors]
    if missing:
        raise UsageError(f"{config.path}: detectors.{missing[0]}: not configured (no sources to scan)")
    intervals = None if args.once else _intervals(config, names, args.every)
    if args.cycles is not None and intervals is None:
        intervals = _intervals(config, names, _OWN_SCHEDULE)
    store = _open_store(args.db, config, create=True)
    online = True if args.online else None
    due = {n: 0.0 for n in names}
    cycle, status = 0, EXIT_OK
    while True:
        cycle += 1
        now = time.monotonic()
        batch = [n for n in names if due[n] <= now]
        stamp = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%SZ}" if intervals is not None else None
        summaries, report = run_once(config, store, batch, online=online, alerts_to_stderr=args.json)
        alerted = len(report.delivered) - len(report.below_threshold) if report is not None else 0
        if args.json:  # one line per detector and cycle, for scripts and log shippers
            for s in summaries:
                print(json.dumps({"at": stamp, **s.as_dict(), "alerted_this_cycle": alerted}, ensure_ascii=False), flush=True)
        else:
            print_summaries(summaries, alerted=alerted, stamp=stamp)
        status = EXIT_SOURCE_FAILED if any(s.could_not_check for s in summaries) else EXIT_OK
        if intervals is None or (args.cycles is not None and cycle >= args.cycles):
            return status
        for n in batch:
            due[n] = now + intervals[n]
        try:
            time.sleep(max(0.0, min(due.values()) - time.monotonic()))
        except KeyboardInterrupt:
            return status


# --- incidents, serve, watchlist ---------------------------------------------------------------

def _client(args: argparse.Namespace, *, readonly: bool = False) -> Any:
    """The API over the local store (in this process), or the deployed one with --api."""
    from sentinelle.api.client import http_client, local_client

    api = getattr(args, "api", None) or os.environ.get("SENTINELLE_API_URL")
    if api:
        if args.db:
            raise UsageError("--db and --api: give one, the local store or the deployed API")
        return http_client(api, token=os.environ.get("SENTINELLE_API_TOKEN") or None)
    config = _config_if_any(args.config)
    store = _open_store(args.db, config, create=False, readonly=readonly)
    where = str(_store_path(args.db, config)[0])
    return local_client(store, where, actor=f"cli:{getpass.getuser()}",
                        watchlist=config.wl if config is not None else None)


_COLOURS = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _when(value: str) -> str:
    return value[:16].replace("T", " ")


def print_incident_table(items: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Incidents ({len(items)} shown, newest first)", title_justify="left")
    console = Console(emoji=False)
    # Columns by how wide the terminal is: below 100 the score, the date and the reasons would
    # squeeze the rest to nothing, and below 140 the reasons alone would.
    columns: list[tuple[str, dict[str, Any], int]] = [
               ("id", dict(no_wrap=True, min_width=10), 0), ("severity", dict(no_wrap=True, min_width=8), 0),
               ("score", dict(justify="right", no_wrap=True), 100), ("what", dict(overflow="fold", min_width=12), 0),
               ("status", dict(no_wrap=True, min_width=6), 0), ("who", dict(overflow="fold", min_width=14), 0),
               ("last seen", dict(no_wrap=True), 100),
               ("why", dict(overflow="ellipsis", no_wrap=True, max_width=60), 140)]
    shown = [i for i, (_, _, needs) in enumerate(columns) if console.width >= needs]
    for i in shown:
        table.add_column(columns[i][0], **columns[i][1])
    for inc in items:
        subject = inc["subject"]
        who = f"{subject.get('handle') or subject['id']} ({inc['platform']})"
        severity = inc["severity"]
        # Every cell is escaped: a handle or a query like [x] or :fire: is text, not markup or an emoji.
        cells = (escape(inc["id"][:10]), f"[{_COLOURS.get(severity, '')}]{escape(severity)}[/]", str(inc["score"]),
                 escape(f"{inc['detector']}/{inc['kind']}"), escape(inc["status"]), escape(who),
                 _when(inc["last_seen"]) + (f" ×{inc['occurrences']}" if inc["occurrences"] > 1 else ""),
                 escape("; ".join(inc["reasons"])))
        table.add_row(*(cells[i] for i in shown))
    console.print(table, emoji=False)
    if items:
        console.print("show one: sentinelle incidents show ID (any unique prefix of the id)", style="dim")
    if len(shown) < len(columns):
        console.print("more: a wider terminal, sentinelle incidents --json, or GET /incidents/{id}", style="dim")


def print_incident(inc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(emoji=False, highlight=False)
    subject = inc["subject"]
    who = subject.get("handle") or subject["id"]
    console.print(f"[bold]{escape(inc['id'])}[/]  [{_COLOURS.get(inc['severity'], '')}]{escape(inc['severity'])}[/] "
                  f"{inc['score']}  {escape(inc['detector'])}/{escape(inc['kind'])}  status {escape(inc['status'])}"
                  + (f"  assignee {escape(inc['assignee'])}" if inc.get("assignee") else ""))
    console.print(f"{escape(subject['kind'])} {escape(who)} on {escape(inc['platform'])}"
                  + (f"  {escape(subject['url'])}" if subject.get("url") else ""))
    console.print(f"first seen {_when(inc['first_seen'])}, last seen {_when(inc['last_seen'])}, "
                  f"{inc['occurrences']} time(s)")
    console.print("[bold]why[/]")
    for reason in inc["reasons"]:
        console.print(f"  - {escape(reason)}")
    if inc.get("evidence"):
        console.print("[bold]evidence[/] (masked)")
        for key, value in inc["evidence"].items():
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            console.print(f"  {escape(str(key))}: {escape(text)}")
    playbook = inc.get("playbook")
    if playbook:
        console.print(f"[bold]playbook[/] {escape(playbook['title'])}")
        for step in [*playbook.get("contain", []), *playbook.get("check", [])][:4]:
            console.print(f"  - {escape(step)}")
    console.print("[bold]history[/]")
    for h in inc.get("history", []):
        detail = ", ".join(f"{k} {v}" for k, v in (("status", h.get("status")), ("assignee", h.get("assignee")))
                           if v)
        note = f": {h['note']}" if h.get("note") else ""
        console.print(f"  {_when(h['at'])} {escape(h['by'])} {escape(h['action'])}"
                      f"{escape(' (' + detail + ')' if detail else '')}{escape(note)}")


def cmd_incidents(args: argparse.Namespace) -> int:
    client = _client(args, readonly=True)
    page = _api(client.list, status=args.status, severity=args.severity, detector=args.detector,
                platform=args.platform, limit=args.limit)
    if args.json:
        for item in page["items"]:
            print(json.dumps(item, ensure_ascii=False))
        return EXIT_OK
    print_incident_table(page["items"])
    return EXIT_OK


def _api(call: Any, *a: Any, **kw: Any) -> Any:
    """One API call; its refusal is a usage error with the API's own words (no traceback)."""
    from sentinelle.api.client import ApiError

    try:
        return call(*a, **kw)
    except ApiError as exc:
        detail = exc.detail
        if isinstance(detail, list):  # a validation error: each problem on its own
            detail = "; ".join(f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg')}"
                               if isinstance(d, dict) else str(d) for d in detail)
        raise UsageError(f"{exc.error}" + (f": {detail}" if detail else "")) from None


_TRIAGE = {"ack": "acknowledged", "resolve": "resolved", "false-positive": "false_positive", "note": None}


def cmd_incident_show(args: argparse.Namespace) -> int:
    incident = _api(_client(args, readonly=True).get, args.id)
    if args.json:
        print(json.dumps(incident, ensure_ascii=False))
    else:
        print_incident(incident)
    return EXIT_OK


def cmd_incident_triage(args: argparse.Namespace) -> int:
    status = _TRIAGE[args.action]
    note = args.text if args.action == "note" else args.note
    incident = _api(_client(args).triage, args.id, status=status, note=note, assignee=args.assignee)
    if args.json:
        print(json.dumps(incident, ensure_ascii=False))
    else:
        what = f"is now {incident['status']}" if status else "has a new note"
        extra = (" (the same finding never alerts again; a stranger's account or domain is suppressed too)"
                 if status == "false_positive" else "")
        print(f"incident {incident['id']} {what}{extra}")
    return EXIT_OK


def _triage_parsers(sub: Any, where: argparse.ArgumentParser, func: Any, noun: str, helps: tuple[str, ...]) -> None:
    """ack, resolve, false-positive and note, for an incident or a whole campaign."""
    for action, text in zip(("ack", "resolve", "false-positive", "note"), helps):
        t = sub.add_parser(action, parents=[where], help=text)
        t.add_argument("id", help=f"the {noun} id, or any unique prefix of it")
        if action == "note":
            t.add_argument("text", help="the note (card numbers and IBANs in it are masked)")
        else:
            t.add_argument("--note", help="a note kept in the history with the change")
        t.add_argument("--assignee", help="who owns it from now on")
        t.set_defaults(func=func, action=action)


def cmd_campaigns(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    items = _api(_client(args, readonly=True).campaigns, limit=args.limit)["items"]
    if args.json:
        for item in items:
            print(json.dumps(item, ensure_ascii=False))
        return EXIT_OK
    console = Console(emoji=False, highlight=False)
    if not items:
        console.print("No campaigns: no two scam or impersonation incidents share a phone number, a domain, "
                      "a crypto address or a copied identity.")
        return EXIT_OK
    table = Table(title="Campaigns, most recent first", title_justify="left")
    for column in ("id", "severity", "members", "what", "last seen"):
        table.add_column(column, overflow="fold")
    for c in items:
        table.add_row(escape(c["id"][:10]), f"[{_COLOURS.get(c['severity'], '')}]{escape(c['severity'])}[/]",
                      str(c["members"]), escape(c["title"]), _when(c["last_seen"]))
    console.print(table)
    console.print("show one: sentinelle campaigns show ID (any unique prefix of the id)", style="dim")
    return EXIT_OK


def cmd_campaign_show(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    c = _api(_client(args, readonly=True).campaign, args.id)
    if args.json:
        print(json.dumps(c, ensure_ascii=False))
        return EXIT_OK
    console = Console(emoji=False, highlight=False)
    console.print(f"[bold]{escape(c['id'])}[/]  [{_COLOURS.get(c['severity'], '')}]{escape(c['severity'])}[/]  "
                  f"{escape(c['title'])}")
    console.print(f"first seen {_when(c['first_seen'])}, last seen {_when(c['last_seen'])}")
    console.print("[bold]indicators[/]")
    for ind in c["indicators"]:
        shared = f"{len(ind['members'])} member(s)" if ind["joins"] else "described, not joining"
        console.print(f"  {escape(ind['kind'])}: {escape(ind['shown'])} ({shared})")
    console.print("[bold]members[/]")
    for m in c["members"]:
        console.print(f"  {escape(m['id'][:10])} {escape(m['severity'])} {escape(m['detector'])}/{escape(m['kind'])} "
                      f"{escape(m.get('handle') or '')} on {escape(m['platform'])}, "
                      f"{escape(c['statuses'].get(m['id'], '?'))}")
    return EXIT_OK


def cmd_campaign_triage(args: argparse.Namespace) -> int:
    status = _TRIAGE[args.action]
    note = args.text if args.action == "note" else args.note
    out = _api(_client(args).triage_campaign, args.id, status=status, note=note, assignee=args.assignee)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
        return EXIT_OK
    done = [r for r in out["results"] if not r.get("error")]
    print(f"campaign {out['campaign']['id']}: {len(done)} of {len(out['results'])} member incident(s) "
          + (f"now {status}" if status else "noted"))
    for r in out["results"]:
        if r.get("error"):
            print(f"  {r['id']}: {r['error']}")
    return EXIT_OK


def cmd_campaign_takedown(args: argparse.Namespace) -> int:
    out = _api(_client(args).takedown_campaign, args.id, note=args.note)
    text = json.dumps(out, ensure_ascii=False, indent=None if args.json else 2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"campaign {out['campaign_id']}: {len(out['packs'])} evidence pack(s) and the shared indicators "
              f"written to {args.output}")
    else:
        print(text)
    return EXIT_OK


def cmd_incident_takedown(args: argparse.Namespace) -> int:
    pack = _api(_client(args).takedown, args.id, send=args.send, note=args.note)
    text = json.dumps(pack, ensure_ascii=False, indent=None if args.json else 2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"incident {pack['incident_id']} is now takedown_requested; evidence pack written to {args.output}")
    else:
        print(text)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from sentinelle.api.server import ServeError, serve

    if not os.environ.get("SENTINELLE_API_TOKEN", "").strip():
        raise UsageError("serve: SENTINELLE_API_TOKEN is not set: set it to a long random secret (for example "
                         "`export SENTINELLE_API_TOKEN=$(openssl rand -hex 32)`); callers send it as "
                         "`Authorization: Bearer <token>`")
    # The watchlist lets takedown packs name the official accounts; the API works without it.
    config = _config_if_any(args.config)
    store = _open_store(args.db, config, create=False)
    try:
        serve(store, host=args.host, port=args.port, watchlist=config.wl if config is not None else None)
    except ServeError as exc:
        raise UsageError(f"serve: {exc}") from None
    return EXIT_OK


def _problems(exc: Exception) -> str:
    """Every problem of a configuration error on its own line, each naming its key and line."""
    problems = getattr(exc, "problems", None) or []
    if len(problems) <= 1:
        return str(exc)
    return f"{len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems)


def cmd_watchlist_validate(args: argparse.Namespace) -> int:
    from sentinelle.watchlist import WatchlistError, load_watchlist

    try:
        wl = load_watchlist(args.path)
    except WatchlistError as exc:
        raise UsageError(_problems(exc)) from None
    print(f"{args.path}: valid: {wl.organization}: {len(wl.brands)} brand(s), "
          f"{len(wl.official_accounts)} official account(s), {len(wl.people)} protected people")
    return EXIT_OK


def cmd_config_validate(args: argparse.Namespace) -> int:
    from sentinelle.config import ConfigError, default_config_path, load_config
    from sentinelle.watchlist import WatchlistError

    location = args.path or args.config or str(default_config_path())
    try:
        config = load_config(location)
    except (ConfigError, WatchlistError) as exc:
        raise UsageError(_problems(exc)) from None
    detectors = ", ".join(f"{n} every {d.every} ({len(d.sources)} source(s))" for n, d in config.detectors.items()
                          if d.enabled) or "none"
    store = _store_path(None, config)[0] if not os.environ.get("SENTINELLE_DB") else os.environ["SENTINELLE_DB"]
    print(f"{location}: valid: watchlist of {config.wl.organization}; detectors: {detectors}; store: {store}")
    return EXIT_OK


INIT_WATCHLIST = """\
# Who and what Sentinelle protects (docs/configuration.md lists every key).
# Check it with: sentinelle watchlist validate watchlist.yaml
organization: Example Bank

brands:
  - name: Example Bank
    aliases: [ExampleBank]          # other spellings of the name
    hashtags: [ExampleBank]         # without '#'
    domains: [examplebank.com]      # official domains; their subdomains are official too

# The organisation's own accounts: the `leaks` detector reads their posts; they are never
# reported as impersonators or scammers. Platforms: {platforms}.
official_accounts:
  - {{platform: mastodon, handle: examplebank@mastodon.social}}
  - {{platform: x, handle: examplebank}}

# Protected people (executives, advisers, ambassadors) and their own accounts.
people:
  - name: Jane Doe
    role: chief executive
    accounts:
      - {{platform: bluesky, handle: janedoe.bsky.social}}

policies:
  packs: [finance]                  # health and/or finance rules for the leaks detector

# thresholds: {{alert: medium, sms: high, digest_after: 10}}
# allowlist: {{accounts: [{{platform: x, handle: a_fan_account}}], domains: [partner.example]}}

# Departments that receive, beside the default channels, the alerts they own (docs/alerts.md).
# teams:
#   - {{name: compliance, detectors: [leaks], email: [dpo@example.com]}}
#   - {{name: customer-care, detectors: [scams], webhook: "https://hooks.example.com/care"}}
#   - {{name: security, detectors: [impersonation], severity: high, email: [soc@example.com]}}
"""

INIT_CONFIG = """\
# The run configuration (docs/configuration.md): the watchlist and, per detector, its schedule
# and sources. Check it with: sentinelle config validate
watchlist: watchlist.yaml
store: .sentinelle/sentinelle.db    # where incidents are kept; every command reads it

detectors:
  scams:
    every: 15m                      # `sentinelle run --every` follows it
    sources:
      - {{type: mastodon, instance: mastodon.social}}
      # - {{type: bluesky, identifier: you.bsky.social}}   # needs SENTINELLE_BLUESKY_APP_PASSWORD
  impersonation:
    every: 1h
    sources:
      - {{type: mastodon, instance: mastodon.social}}
  leaks:
    every: 15m
    sources:
      - {{type: mastodon, instance: mastodon.social}}
      # Offline, from recorded items (one JSON item per line, docs/formats.md):
      # - {{type: replay, path: items.jsonl}}
"""


def cmd_init(args: argparse.Namespace) -> int:
    from sentinelle.watchlist import PLATFORMS

    folder = Path(args.folder)
    files = {folder / "watchlist.yaml": INIT_WATCHLIST.format(platforms=", ".join(PLATFORMS)),
             folder / "sentinelle.yaml": INIT_CONFIG.format()}
    existing = [str(p) for p in files if p.exists()]
    if existing and not args.force:
        raise UsageError(f"{', '.join(existing)}: already exists (--force replaces it)")
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    print("next: edit both files, then `sentinelle config validate` and `sentinelle run --every`")
    return EXIT_OK


# --- parser ------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 too; keep its message format
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 1 <= value <= 200:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 200")
    return value


def _cycles(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    from sentinelle import __version__
    from sentinelle.model import Severity, Status

    # -v is taken before or after the subcommand; SUPPRESS keeps a subcommand from resetting it.
    verbose = _Parser(add_help=False)
    verbose.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="log progress to standard error")
    # Where the incidents are: the local store (--db, --config's store) or a deployed API (--api).
    # SUPPRESS: `incidents --db X show ID` and `incidents show ID --db X` both keep X.
    where = _Parser(add_help=False, parents=[verbose], argument_default=argparse.SUPPRESS)
    where.add_argument("--config", help="run configuration whose `store:` and watchlist are used "
                       "(default $SENTINELLE_CONFIG, else ./sentinelle.yaml)")
    where.add_argument("--db", help="SQLite file (default $SENTINELLE_DB, else the configuration's store, "
                       "else .sentinelle/sentinelle.db); never created by this command")
    where.add_argument("--api", metavar="URL", help="a deployed API (default $SENTINELLE_API_URL): bearer token "
                       "or JWT from $SENTINELLE_API_TOKEN, else SigV4 with your AWS credentials")
    where.add_argument("--json", action="store_true", help="JSON instead of a table or text")

    p = _Parser(prog="sentinelle", parents=[verbose], description=(
        "Monitor social networks for scams that use your brand, impersonation of your brand and "
        "people, and leaks of personal data by your own accounts."))
    # Not verbose: set_defaults would change the shared -v action's default in every subcommand.
    p.set_defaults(config=None, db=None, api=None, json=False)
    p.add_argument("--version", action="version", version=f"sentinelle {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", parents=[verbose],
                       help="scan the configured sources once (or on a schedule), record incidents, alert",
                       description="Run every configured detector once (or those named) over the config's "
                       "sources; record incidents in the store; alert on new, escalated or reopened ones. "
                       "Exit 0, 1 when a source could not be checked, 2 on bad arguments or configuration.")
    r.add_argument("--config", help="run configuration (default $SENTINELLE_CONFIG, ./sentinelle.yaml, else the demo)")
    r.add_argument("--db", help="SQLite file (default $SENTINELLE_DB, else the configuration's `store:`, else "
                   ".sentinelle/sentinelle.db)")
    r.add_argument("--every", metavar="INTERVAL", nargs="?", const=_OWN_SCHEDULE,
                   help="keep running: alone, each detector on its own `every:`; with an interval (15m, 1h), "
                   "all on that one")
    r.add_argument("--cycles", type=_cycles, metavar="N", help="stop after N cycles (implies --every)")
    r.add_argument("--once", action="store_true", help="run once, whatever --every says (the default)")
    r.add_argument("--detector", action="append", metavar="NAME", help="only this detector (repeatable)")
    r.add_argument("--online", action="store_true",
                   help="allow checks that fetch pages, expand links, hash avatars and read pictures (OCR)")
    r.add_argument("--json", action="store_true", help="one JSON summary line per detector and cycle instead of a table")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("check", parents=[verbose],
                       help="run detectors over JSON-lines items on stdin (one result line per line)",
                       description="Read items (posts or profiles, JSON lines, docs/formats.md) on standard input; "
                       "write one JSON line per input line with the findings, in order. Offline unless --online.")
    c.add_argument("--watchlist", help="watchlist YAML (required unless --config)")
    c.add_argument("--config", help="take the watchlist of this run configuration instead")
    c.add_argument("--detector", action="append", metavar="NAME", help="only this detector (repeatable)")
    c.add_argument("--online", action="store_true",
                   help="allow network checks (page analysis, link expansion, pictures read by OCR)")
    c.set_defaults(func=cmd_check)

    s = sub.add_parser("serve", parents=[verbose], help="serve the incidents API on a local HTTP server (bearer token)",
                       description="Serve the same routes as the Lambda api function over the store. "
                       "Requires SENTINELLE_API_TOKEN (a random secret, 16 characters at least).")
    s.add_argument("--db", help="SQLite file (default $SENTINELLE_DB, else the configuration's `store:`, else "
                   ".sentinelle/sentinelle.db); never created by this command")
    s.add_argument("--config", help="run configuration whose store and watchlist are used (default "
                   "$SENTINELLE_CONFIG, else ./sentinelle.yaml)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve)

    statuses, severities = [x.value for x in Status], [x.value for x in Severity]
    i = sub.add_parser("incidents", parents=[where], help="list, show and triage incidents (local store or --api)",
                       description="Without a subcommand: list incidents, newest first. IDs: any unique prefix.")
    i.add_argument("--status", choices=statuses, metavar="STATUS", help=f"only this status: {', '.join(statuses)}")
    i.add_argument("--severity", choices=severities, metavar="SEVERITY",
                   help=f"minimum severity: {', '.join(severities)}")
    i.add_argument("--detector")
    i.add_argument("--platform")
    i.add_argument("--limit", type=_limit, default=50, help="1 to 200 (default 50)")
    i.set_defaults(func=cmd_incidents)
    isub = i.add_subparsers(dest="incidents_command", parser_class=_Parser, metavar="ACTION")
    show = isub.add_parser("show", parents=[where], help="one incident: reasons, evidence, playbook, history")
    show.add_argument("id", help="the incident id, or any unique prefix of it")
    show.set_defaults(func=cmd_incident_show)
    _triage_parsers(isub, where, cmd_incident_triage, "incident", (
        "acknowledge: someone is on it", "resolved: dealt with",
        "not a risk: the same finding never alerts again, nor, for a stranger's account or domain, anything else "
        "it posts (your own accounts stay watched)", "add a note to the history"))
    td = isub.add_parser("takedown", parents=[where],
                         help="prepare the takedown evidence pack (and mark the incident takedown_requested)")
    td.add_argument("id", help="the incident id, or any unique prefix of it")
    td.add_argument("--send", action="store_true", help="also file the report through the platform's API, where "
                    "a reporter is configured (docs/api.md)")
    td.add_argument("--note", help="a note kept in the history")
    td.add_argument("--output", "-o", metavar="FILE", help="write the pack to FILE instead of standard output")
    td.set_defaults(func=cmd_incident_takedown)

    cp = sub.add_parser("campaigns", parents=[where], help="campaigns: incidents that share a phone number, a domain, "
                        "a crypto address or a copied identity (local store or --api)",
                        description="Without a subcommand: list campaigns, most recent first. IDs: any unique prefix.")
    cp.add_argument("--limit", type=_limit, default=50, help="1 to 200 (default 50)")
    cp.set_defaults(func=cmd_campaigns)
    csub = cp.add_subparsers(dest="campaigns_command", parser_class=_Parser, metavar="ACTION")
    cshow = csub.add_parser("show", parents=[where], help="one campaign: indicators, members and their status")
    cshow.add_argument("id", help="the campaign id, or any unique prefix of it")
    cshow.set_defaults(func=cmd_campaign_show)
    _triage_parsers(csub, where, cmd_campaign_triage, "campaign", (
        "acknowledge every member incident", "resolve every member incident",
        "mark every member incident a false positive", "add a note to every member incident"))
    ctd = csub.add_parser("takedown", parents=[where], help="one evidence pack per member and the shared indicators "
                          "(the domains to report to their registrar); marks the members takedown_requested")
    ctd.add_argument("id", help="the campaign id, or any unique prefix of it")
    ctd.add_argument("--note", help="a note kept in each member's history")
    ctd.add_argument("--output", "-o", metavar="FILE", help="write the packs to FILE instead of standard output")
    ctd.set_defaults(func=cmd_campaign_takedown)

    w = sub.add_parser("watchlist", help="watchlist tools")
    wsub = w.add_subparsers(dest="watchlist_command", required=True, parser_class=_Parser)
    wv = wsub.add_parser("validate", parents=[verbose],
                         help="validate a watchlist; exit 2 listing every problem with its key and line")
    wv.add_argument("path")
    wv.set_defaults(func=cmd_watchlist_validate)

    g = sub.add_parser("config", help="run configuration tools")
    gsub = g.add_subparsers(dest="config_command", required=True, parser_class=_Parser)
    gv = gsub.add_parser("validate", parents=[verbose], help="validate a run configuration and its watchlist; exit 2 "
                         "listing every problem with its key and line")
    gv.add_argument("path", nargs="?", help="default --config, $SENTINELLE_CONFIG, else ./sentinelle.yaml")
    gv.add_argument("--config", help=argparse.SUPPRESS)
    gv.set_defaults(func=cmd_config_validate)

    n = sub.add_parser("init", parents=[verbose], help="write a commented watchlist.yaml and sentinelle.yaml to start from")
    n.add_argument("folder", nargs="?", default=".", help="where to write them (default: here)")
    n.add_argument("--force", action="store_true", help="replace files that exist")
    n.set_defaults(func=cmd_init)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from sentinelle.ports import StoreError

    args = build_parser().parse_args(argv)
    args.verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"sentinelle: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:  # a corrupt, read-only or full database: one line, no traceback
        print(f"sentinelle: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    raise SystemExit(main())
