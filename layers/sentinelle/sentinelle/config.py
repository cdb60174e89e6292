"""The run configuration: the watchlist and, per detector, the sources and queries to scan."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sentinelle.ports import Query
from sentinelle.watchlist import (
    Problem,
    Watchlist,
    WatchlistError,
    _line_of,
    load_watchlist,
    load_yaml,
    parse_watchlist,
    problems_of,
)

_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ConfigError(ValueError):
    """A configuration that cannot be used; names the file, the key and the problem, then every
    further problem on its own line (`problems` holds them all, each with its key and line)."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = problems or []
        super().__init__("\n".join(str(p) for p in self.problems) if self.problems else message)


def parse_interval(text: str) -> timedelta:
    """'15m' → 15 minutes. Accepts s, m, h, d."""
    m = _INTERVAL.match(str(text))
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"{text!r} is not an interval like 30s, 15m, 1h or 1d")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


class DetectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    every: str = "15m"
    sources: list[dict[str, Any]] = Field(default_factory=list)
    # Replaces the queries the detector plans from the watchlist (default: planned).
    queries: list[Query] | None = None

    @field_validator("every")
    @classmethod
    def _every(cls, v: str) -> str:
        parse_interval(v)
        return v


class AlertConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    console: bool = True
    smtp: bool = False  # settings from SENTINELLE_SMTP_* environment variables
    webhook: str | None = None  # URL, or set SENTINELLE_WEBHOOK_URL


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    watchlist: str | dict[str, Any]
    store: str | None = None
    online: bool = False
    alerts: AlertConfig = Field(default_factory=AlertConfig)
    detectors: dict[str, DetectorConfig] = Field(default_factory=dict)
    # Pictures served from files instead of the network (URL -> path relative to this file): how a
    # replayed demo shows posts with pictures offline. Other pictures are read only with `online`.
    recorded_media: dict[str, str] = Field(default_factory=dict)

    # Filled by load_config: where relative paths resolve, and the parsed watchlist.
    base_dir: Path = Field(default=Path("."), exclude=True)
    path: str = Field(default="<config>", exclude=True)
    watchlist_model: Watchlist | None = Field(default=None, exclude=True)
    watchlist_dir: Path = Field(default=Path("."), exclude=True)  # where its relative photo paths resolve

    @property
    def wl(self) -> Watchlist:
        assert self.watchlist_model is not None
        return self.watchlist_model


def default_config_path() -> Path:
    """--config, else $SENTINELLE_CONFIG, else ./sentinelle.yaml, else the bundled demo."""
    env = os.environ.get("SENTINELLE_CONFIG")
    if env:
        return Path(env)
    local = Path("sentinelle.yaml")
    if local.exists():
        return local
    return demo_config_path()


def demo_config_path() -> Path:
    return Path(__file__).resolve().parents[3] / "examples" / "demo" / "sentinelle.yaml"


def _read(location: str) -> tuple[str, Path]:
    """A config or watchlist from a file, `s3://bucket/key` or `ssm:/parameter/name`."""
    if location.startswith("s3://"):
        import boto3

        bucket, _, key = location[5:].partition("/")
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return body.decode("utf-8"), Path(".")
    if location.startswith("ssm:"):
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_parameter(location[4:], max_age=300)), Path(".")
    p = Path(location)
    try:
        return p.read_text(encoding="utf-8"), p.resolve().parent
    except OSError as exc:
        raise ConfigError(f"{location}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{location}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def load_config(location: str | os.PathLike[str]) -> RunConfig:
    """The run configuration, its watchlist and its sources checked; raises ConfigError listing
    every problem found (the watchlist's included), each with its key and line."""
    location = str(location)
    text, base = _read(location)
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError("", [Problem(location, "", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                                       mark.line + 1 if mark else None)]) from None
    except RecursionError:
        raise ConfigError(f"{location}: nested too deeply to be a configuration") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{location}: the configuration must be a mapping with a `watchlist` key")
    problems: list[Problem] = []
    from sentinelle.detectors import registry
    from sentinelle.sources import validate_spec

    detectors: Any = data.get("detectors")
    for name in sorted(detectors) if isinstance(detectors, dict) else []:
        if name not in registry():
            problems.append(Problem(location, f"detectors.{name}",
                                    f"unknown detector (known: {', '.join(sorted(registry()))})",
                                    _line_of(text, ("detectors", name))))
            continue
        sources = detectors[name].get("sources") if isinstance(detectors[name], dict) else None
        for i, spec in enumerate(sources if isinstance(sources, list) else []):
            try:
                validate_spec(spec)
            except ValueError as exc:
                problems.append(Problem(location, f"detectors.{name}.sources[{i}]", str(exc),
                                        _line_of(text, ("detectors", name, "sources", i))))
    known = {k: v for k, v in detectors.items() if k in registry()} if isinstance(detectors, dict) else detectors
    cfg: RunConfig | None = None
    try:
        cfg = RunConfig.model_validate({**data, **({"detectors": known} if known is not None else {})})
    except ValidationError as exc:
        problems += [p for p in problems_of(exc, location, text) if p.key != "watchlist" or "watchlist" not in data]
    watchlist, wl_dir = _watchlist(data.get("watchlist"), location, text, base, problems)
    problems.sort(key=lambda p: (p.path != location, p.line or 0))
    if problems or cfg is None or watchlist is None:
        raise ConfigError(f"{location}: invalid", problems)
    cfg.base_dir, cfg.path, cfg.watchlist_dir, cfg.watchlist_model = base, location, wl_dir, watchlist
    return cfg


def _watchlist(value: Any, location: str, text: str, base: Path,
               problems: list[Problem]) -> tuple[Watchlist | None, Path]:
    """The watchlist, inline or from its file, `s3://` or `ssm:`; its problems join `problems`."""
    if not isinstance(value, (str, dict)):
        return None, base  # RunConfig has said what is wrong with it
    try:
        if isinstance(value, dict):
            return parse_watchlist(value, location), base
        wl = value
        if wl.startswith(("s3://", "ssm:")):
            wtext, _ = _read(wl)
            try:
                return parse_watchlist(load_yaml(wtext), wl, wtext), base
            except (yaml.YAMLError, RecursionError) as exc:
                raise ConfigError(f"{wl}: not a valid watchlist: "
                                  f"{getattr(exc, 'problem', None) or type(exc).__name__}") from None
        path = Path(wl) if Path(wl).is_absolute() else base / wl
        return load_watchlist(path), path.parent
    except WatchlistError as exc:
        inline = isinstance(value, dict)
        problems += [Problem(p.path, f"watchlist.{p.key}" if inline and p.key else p.key, p.problem,
                             _line_of(text, ("watchlist", *_loc(p.key))) if inline else p.line)
                     for p in exc.problems]
    except ConfigError as exc:
        problems.append(Problem(location, "watchlist", str(exc), _line_of(text, ("watchlist",))))
    return None, base


def _loc(dotted: str) -> tuple[Any, ...]:
    """"people[0].accounts" → ("people", 0, "accounts")."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\[\]]+", dotted) if p)


__all__ = ["ConfigError", "RunConfig", "DetectorConfig", "load_config", "parse_interval",
           "default_config_path", "WatchlistError"]
