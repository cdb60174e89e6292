"""The `sentinelle` command: run, check, serve, incidents, watchlist validate."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

EXIT_OK, EXIT_SOURCE_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad arguments or configuration: exit 2 with the message on standard error."""


def _default_db() -> str:
    return os.environ.get("SENTINELLE_DB") or str(Path(".sentinelle") / "sentinelle.db")


def _open_store(db: str | None, *, readonly: bool = False) -> Any:
    """The SQLite store at `db`; `readonly` (for commands that only read) opens an existing file
    without writing to it, so a read-only file or mount can still be listed."""
    from sentinelle.store.sqlite import SQLiteStore

    path = Path(db or _default_db())
    if readonly and path.exists():
        return SQLiteStore(str(path), readonly=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{path}: cannot create its folder: {exc.strerror or exc}") from None
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

    try:
        watchlist = load_watchlist(args.watchlist)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    names = _detector_names(args.detector)
    detectors = [d for n, d in sorted(registry().items()) if names is None or n in names]
    allowed = Allowlist.build(watchlist)  # the watchlist's allowlist, as a scan applies it
    # A random hash key: the output holds no keyed hash, and nothing is kept between runs.
    ctx = Context.ephemeral(watchlist, explicit=names is not None, online=args.online)
    if args.online:
        from sentinelle.signals.fetch import OnlineEnrichers

        from sentinelle.readers.pictures import PictureReader, guarded_fetch

        ctx.enrichers = OnlineEnrichers(watchlist, base_dir=Path(args.watchlist).resolve().parent)
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
    findings = []
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
        raise UsageError(str(exc)) from None


def drain_outbox(store: Any, config: Any) -> Any:
    """Local mode's alert trigger: deliver what the scans put in the outbox, as each sink accepts it."""
    from sentinelle.alerts.dispatch import build_sinks, drain

    report = drain(store, build_sinks(config.alerts, os.environ), config.wl.thresholds)
    if not report.delivered and not report.pending:
        return None
    for sink, reason in report.failures:  # those alerts stay in the outbox for the next run
        print(f"sentinelle: alert sink {sink} failed: {reason}; {len(report.pending)} alert(s) kept for the next run",
              file=sys.stderr)
    return report


def run_once(config: Any, store: Any, names: list[str], *, online: bool | None = None) -> list[Any]:
    from rich.console import Console

    from sentinelle.runner import run_detector

    summaries = []
    console = Console(stderr=True)
    for name in names:
        # A spinner on a terminal while live platforms answer; nothing when piped or logged.
        with console.status(f"scanning with {name}…", spinner="dots"):
            summaries.append(run_detector(name, config=config, store=store, online=online))
    drain_outbox(store, config)
    store.purge_expired()  # SQLite has no TTL of its own: closed incidents past their expiry go here
    return summaries


def print_summaries(summaries: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    seconds = sum(s.seconds for s in summaries)
    table = Table(title=f"Scan summary ({seconds:.2f} s)", title_justify="left")
    table.add_column("detector", no_wrap=True)
    # "reopened" only when it happened: the usual table fits 80 columns.
    cols = ["items", "findings", "new", "escalated", *(["reopened"] if any(s.reopened for s in summaries) else []),
            "repeat", "suppressed"]
    for col in cols:
        table.add_column(col, justify="right", no_wrap=True)
    for s in summaries:
        values = {"items": s.items_read, "findings": s.findings, "new": s.new, "escalated": s.escalated,
                  "reopened": s.reopened, "repeat": s.repeat, "suppressed": s.suppressed}
        table.add_row(s.detector, *(str(values[c]) for c in cols))
    console = Console()
    console.print(table)
    # Silence from a source is not safety: say which could not be checked, and why.
    for s in summaries:
        for r in s.could_not_check:
            console.print(f"[bold red]could not check[/] {r.source} ({r.query}) for {s.detector}: {r.reason}",
                          highlight=False)


def cmd_run(args: argparse.Namespace) -> int:
    from sentinelle.config import parse_interval

    config = _load_config(args.config)
    names = _detector_names(args.detector) or [n for n, d in config.detectors.items() if d.enabled]
    if not names:
        raise UsageError(f"{config.path}: detectors: no detector is configured")
    missing = [n for n in names if n not in config.detectors]
    if missing:
        raise UsageError(f"{config.path}: detectors.{missing[0]}: not configured (no sources to scan)")
    every = None
    if args.every:
        try:
            every = parse_interval(args.every).total_seconds()
        except ValueError as exc:
            raise UsageError(f"--every: {exc}") from None
    db = args.db or os.environ.get("SENTINELLE_DB") or (str(config.base_dir / config.store) if config.store else None)
    store = _open_store(db)
    online = True if args.online else None
    while True:
        summaries = run_once(config, store, names, online=online)
        print_summaries(summaries)
        status = EXIT_SOURCE_FAILED if any(s.could_not_check for s in summaries) else EXIT_OK
        if every is None:
            return status
        try:
            time.sleep(every)
        except KeyboardInterrupt:
            return status


# --- incidents, serve, watchlist ---------------------------------------------------------------

def cmd_incidents(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from sentinelle.model import Severity, Status

    store = _open_store(args.db, readonly=True)
    try:
        page = store.list(status=Status(args.status) if args.status else None,
                          severity=Severity(args.severity) if args.severity else None,
                          detector=args.detector, platform=args.platform, limit=args.limit)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        for inc in page.items:
            print(inc.model_dump_json())
        return EXIT_OK
    table = Table(title=f"Incidents ({len(page.items)} shown, newest first)", title_justify="left")
    console = Console()
    # Columns by how wide the terminal is: below 100 the score, the date and the reasons would
    # squeeze the rest to nothing, and below 140 the reasons alone would.
    columns = [("id", dict(no_wrap=True, min_width=10), 0), ("severity", dict(no_wrap=True, min_width=8), 0),
               ("score", dict(justify="right", no_wrap=True), 100), ("what", dict(overflow="fold", min_width=12), 0),
               ("status", dict(no_wrap=True, min_width=6), 0), ("who", dict(overflow="fold", min_width=14), 0),
               ("last seen", dict(no_wrap=True), 100),
               ("why", dict(overflow="ellipsis", no_wrap=True, max_width=60), 140)]
    shown = [i for i, (_, _, needs) in enumerate(columns) if console.width >= needs]
    for i in shown:
        table.add_column(columns[i][0], **columns[i][1])
    colours = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
    for inc in page.items:
        who = f"{inc.subject.handle or inc.subject.id} ({inc.platform})"
        cells = (inc.id[:10], f"[{colours[inc.severity.value]}]{inc.severity.value}[/]", str(inc.score),
                 f"{inc.detector}/{inc.kind}", inc.status.value, who,
                 f"{inc.last_seen:%Y-%m-%d %H:%M}" + (f" ×{inc.occurrences}" if inc.occurrences > 1 else ""),
                 "; ".join(inc.reasons))
        table.add_row(*(cells[i] for i in shown))
    console.print(table)
    if len(shown) < len(columns):
        console.print("more: a wider terminal, sentinelle incidents --json, or GET /incidents/{id}", style="dim")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from sentinelle.api.server import ServeError, serve

    # The watchlist lets takedown packs name the official accounts; the API works without it.
    watchlist = _load_config(args.config).wl if args.config or os.environ.get("SENTINELLE_CONFIG") else None
    try:
        serve(_open_store(args.db), host=args.host, port=args.port, watchlist=watchlist)
    except ServeError as exc:
        raise UsageError(f"serve: {exc}") from None
    return EXIT_OK


def cmd_watchlist_validate(args: argparse.Namespace) -> int:
    from sentinelle.watchlist import WatchlistError, load_watchlist

    try:
        wl = load_watchlist(args.path)
    except WatchlistError as exc:
        raise UsageError(str(exc)) from None
    print(f"{args.path}: valid: {wl.organization}: {len(wl.brands)} brand(s), "
          f"{len(wl.official_accounts)} official account(s), {len(wl.people)} protected people")
    return EXIT_OK


# --- parser ------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its message format
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sentinelle", description=(
        "Monitor social networks for scams that use your brand, impersonation of your brand and "
        "people, and leaks of personal data by your own accounts."))
    from sentinelle import __version__

    p.add_argument("--version", action="version", version=f"sentinelle {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress to standard error")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="scan the configured sources once (or --every), record incidents, alert",
                       description="Run every configured detector once (or those named) over the config's "
                       "sources; record incidents in the embedded store; alert on new, escalated or reopened ones. "
                       "Exit 0, 1 when a source could not be checked, 2 on bad arguments or configuration.")
    r.add_argument("--config", help="run configuration (default $SENTINELLE_CONFIG, ./sentinelle.yaml, else the demo)")
    r.add_argument("--db", help="SQLite file (default $SENTINELLE_DB, else .sentinelle/sentinelle.db)")
    r.add_argument("--every", metavar="INTERVAL", help="keep running on this interval, e.g. 15m, 1h")
    r.add_argument("--detector", action="append", metavar="NAME", help="only this detector (repeatable)")
    r.add_argument("--online", action="store_true",
                   help="allow checks that fetch pages, expand links, hash avatars and read pictures (OCR)")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("check", help="run detectors over JSON-lines items on stdin (one result line per line)",
                       description="Read items (posts or profiles, JSON lines) on standard input; write one JSON "
                       "line per input line with the findings, in order. Offline unless --online.")
    c.add_argument("--watchlist", required=True, help="watchlist YAML")
    c.add_argument("--detector", action="append", metavar="NAME", help="only this detector (repeatable)")
    c.add_argument("--online", action="store_true",
                   help="allow network checks (page analysis, link expansion, pictures read by OCR)")
    c.set_defaults(func=cmd_check)

    s = sub.add_parser("serve", help="serve the incidents API on a local HTTP server (bearer token)",
                       description="Serve the same routes as the Lambda api function. Requires SENTINELLE_API_TOKEN "
                       "(a random secret, 16 characters at least).")
    s.add_argument("--db", help="SQLite file (default $SENTINELLE_DB, else .sentinelle/sentinelle.db)")
    s.add_argument("--config", help="run configuration whose watchlist names official accounts in takedown packs "
                   "(default $SENTINELLE_CONFIG)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve)

    i = sub.add_parser("incidents", help="list incidents in a terminal table, newest first")
    i.add_argument("--db", help="SQLite file (default $SENTINELLE_DB, else .sentinelle/sentinelle.db)")
    i.add_argument("--status")
    i.add_argument("--severity", help="minimum severity")
    i.add_argument("--detector")
    i.add_argument("--platform")
    i.add_argument("--limit", type=int, default=50)
    i.add_argument("--json", action="store_true", help="one JSON incident per line instead of a table")
    i.set_defaults(func=cmd_incidents)

    w = sub.add_parser("watchlist", help="watchlist tools")
    wsub = w.add_subparsers(dest="watchlist_command", required=True, parser_class=_Parser)
    wv = wsub.add_parser("validate", help="validate a watchlist; exit 2 naming the key on error")
    wv.add_argument("path")
    wv.set_defaults(func=cmd_watchlist_validate)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from sentinelle.ports import StoreError

    args = build_parser().parse_args(argv)
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


if __name__ == "__main__":
    raise SystemExit(main())
