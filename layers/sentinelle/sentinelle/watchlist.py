"""The watchlist: who and what the organisation protects, validated before anything runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Sequence

import regex
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sentinelle.model import Severity, norm_handle


@dataclass(frozen=True)
class Problem:
    """One mistake in a configuration file: where it is and what is wrong."""

    path: str
    key: str
    problem: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.key}: {self.problem}" if self.key else f"{where}: {self.problem}"


class WatchlistError(ValueError):
    """A watchlist that cannot be used; the message names the file, the key and the problem, then
    every further problem on its own line (`problems` holds them all, the first one first)."""

    def __init__(self, path: str, key: str, problem: str, line: int | None = None,
                 more: Sequence[Problem] = ()):
        self.path, self.key, self.problem, self.line = path, key, problem, line
        self.problems = [Problem(path, key, problem, line), *more]
        super().__init__("\n".join(str(p) for p in self.problems))


# Rule patterns are the organisation's own regular expressions; one with nested repetition
# (`(a+)+$`) can backtrack for ever on a short post. They run on the `regex` engine with this time
# limit per search: a pattern that needs longer is abandoned on that text (and logged), never a hang.
PATTERN_TIMEOUT = 0.25


def compile_pattern(pattern: str) -> "regex.Pattern[str]":
    """A rule pattern compiled for `search(text, timeout=PATTERN_TIMEOUT)` (case-insensitive)."""
    return regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)


def check_patterns(patterns: list[str]) -> list[str]:
    """Each pattern must compile; the error quotes the one that does not (for pydantic validators)."""
    for p in patterns:
        try:
            compile_pattern(p)
        except (regex.error, re.error, ValueError, OverflowError) as exc:
            raise ValueError(f"pattern {p!r} is not a valid regular expression: {exc}") from exc
    return patterns


# Where phone numbers written without a country code are read as from, in turn: the organisation's
# home market first (`regions` in the watchlist); by default France, the UK, the US and India.
DEFAULT_REGIONS = ("FR", "GB", "US", "IN")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The platforms an account may be on: those Sentinelle reads, and those where people are commonly
# impersonated although no source reads them (their accounts still mark who is official).
PLATFORMS = ("bluesky", "mastodon", "reddit", "x", "youtube", "rss",
             "facebook", "instagram", "linkedin", "threads", "tiktok", "telegram", "github")
# Former or everyday names that are not the platform's name here.
_PLATFORM_ALIASES = {"twitter": "x", "x.com": "x", "twitter.com": "x", "bsky": "bluesky", "bsky.app": "bluesky",
                     "yt": "youtube", "fb": "facebook", "ig": "instagram", "insta": "instagram"}


def unknown_name(what: str, value: str, known: Sequence[str], guess: str | None = None) -> ValueError:
    """The error for a name not in `known`, with a "did you mean" hint when one is close."""
    import difflib

    guess = guess or next(iter(difflib.get_close_matches(value, known, n=1)), None)
    hint = f"did you mean {guess!r}? " if guess else ""
    return ValueError(f"unknown {what} {value!r}: {hint}{what}s are {', '.join(known)}")


def check_platform(value: str) -> str:
    """The platform's name folded to lower case; an unknown one raises with a "did you mean" hint."""
    name = value.strip().lower()
    if name in PLATFORMS:
        return name
    raise unknown_name("platform", value, PLATFORMS, _PLATFORM_ALIASES.get(name))


class AccountRef(_Strict):
    platform: str = Field(min_length=1, json_schema_extra={"enum": list(PLATFORMS)})
    handle: str = Field(min_length=1)

    @field_validator("platform")
    @classmethod
    def _platform(cls, v: str) -> str:
        return check_platform(v)

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, norm_handle(self.handle))


class Brand(_Strict):
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    hashtags: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return [t.strip().lstrip("#") for t in v if t.strip().lstrip("#")]

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        out = []
        for d in v:
            d = d.strip().lower().rstrip(".")
            d = re.sub(r"^[a-z][a-z0-9+.-]*://", "", d).split("/")[0]
            if not d or " " in d or "." not in d:
                raise ValueError(f"{d!r} is not a domain name")
            out.append(d)
        return out

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]


class Person(_Strict):
    name: str = Field(min_length=1)
    role: str | None = None
    aliases: list[str] = Field(default_factory=list)
    accounts: list[AccountRef] = Field(default_factory=list)
    # Reference photos (URLs or local paths) and/or their perceptual hashes, for online checks.
    photos: list[str] = Field(default_factory=list)
    photo_hashes: list[str] = Field(default_factory=list)


class Rule(_Strict):
    """An organisation-defined compliance rule for the `leaks` detector."""

    id: str = Field(min_length=1)
    description: str = ""
    terms: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    severity: Severity = Severity.medium

    @field_validator("patterns")
    @classmethod
    def _compile(cls, v: list[str]) -> list[str]:
        return check_patterns(v)


class Policies(_Strict):
    packs: list[Literal["health", "finance"]] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)


class Allowlist(_Strict):
    """Subjects that never alert: accounts and domains confirmed harmless."""

    accounts: list[AccountRef] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, v: list[AccountRef]) -> list[AccountRef]:
        from sentinelle.text.urls import mixed_script

        for a in v:
            if mixed_script(a.handle):
                raise ValueError(f"{a.platform}:{a.handle}: the handle mixes scripts (a homograph of another account)")
        return v

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        from sentinelle.text.urls import allow_domain

        for d in v:
            allow_domain(d)  # raises ValueError naming the entry and the problem
        return v


class Thresholds(_Strict):
    alert: Severity = Severity.medium  # findings below this are recorded but page no one
    sms: Severity = Severity.high
    digest_after: int = Field(default=10, ge=1)  # more new incidents in one run: one digest


# Incidents about a source that could not be checked come from no detector module: "sources".
_NON_DETECTOR_SOURCES = ("sources",)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Team(_Strict):
    """A department that receives the alerts it owns (leaks to compliance and the DPO, scams to
    customer service, impersonation to security and HR), beside the default channels that receive
    every alert. Each filter left empty takes everything."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")  # an SNS attribute value: lower case
    detectors: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)  # finding kinds, shell patterns ("policy:*")
    severity: Severity = Severity.info  # the least severe it receives (never below thresholds.alert)
    email: list[str] = Field(default_factory=list)  # locally, through the SMTP relay; on AWS see deploy.md
    webhook: str | None = None  # locally, its own chat or SOAR webhook

    @field_validator("detectors")
    @classmethod
    def _detectors(cls, v: list[str]) -> list[str]:
        from sentinelle.detectors import registry  # late: detectors import this module

        known = sorted({*registry(), *_NON_DETECTOR_SOURCES})
        for name in v:
            if name not in known:
                raise unknown_name("detector", name, known)
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: list[str]) -> list[str]:
        for address in v:
            if not _EMAIL.match(address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return v

    @field_validator("webhook")
    @classmethod
    def _webhook(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith(("https://", "http://")):
            raise ValueError("a team's webhook is an http(s) URL")
        return v

    def receives(self, detector: str, kind: str, severity: Severity) -> bool:
        from fnmatch import fnmatchcase

        return ((not self.detectors or detector in self.detectors)
                and (not self.kinds or any(fnmatchcase(kind, k) for k in self.kinds))
                and severity >= self.severity)


class Watchlist(_Strict):
    organization: str = Field(min_length=1)
    brands: list[Brand] = Field(default_factory=list)
    official_accounts: list[AccountRef] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    allowlist: Allowlist = Field(default_factory=Allowlist)
    policies: Policies = Field(default_factory=Policies)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    regions: tuple[str, ...] = Field(default=DEFAULT_REGIONS, min_length=1)
    teams: list[Team] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    @field_validator("teams")
    @classmethod
    def _teams(cls, v: list[Team]) -> list[Team]:
        names = [t.name for t in v]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"team names must be unique: {', '.join(twice)}")
        return v

    @field_validator("regions", mode="before")
    @classmethod
    def _regions(cls, v: Any) -> Any:
        """ISO 3166 codes that phonenumbers knows, upper-cased; UK is accepted for GB."""
        if not isinstance(v, (list, tuple)):
            return v
        import phonenumbers  # late: only a watchlist that names regions pays for it

        out = []
        for code in v:
            region = str(code).strip().upper()
            region = "GB" if region == "UK" else region
            if region not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(f"{code!r} is not a country code phone numbers are known for (e.g. FR, GB, US)")
            if region not in out:
                out.append(region)
        return tuple(out)

    @cached_property
    def own_accounts(self) -> frozenset[tuple[str, str]]:
        """(platform, folded handle) of official accounts and protected people's own accounts."""
        refs = [*self.official_accounts, *(a for p in self.people for a in p.accounts)]
        return frozenset(a.key for a in refs)

    @cached_property
    def own_handles(self) -> frozenset[str]:
        """Folded handles of own accounts on any platform (a platform may spell ids differently)."""
        return frozenset(h for _, h in self.own_accounts)

    def is_own(self, platform: str | None, handle: str | None) -> bool:
        return (str(platform or "").lower(), norm_handle(handle)) in self.own_accounts

    @cached_property
    def official_domains(self) -> frozenset[str]:
        return frozenset(d for b in self.brands for d in b.domains)

    def person_of(self, platform: str | None, handle: str | None) -> Person | None:
        key = (str(platform or "").lower(), norm_handle(handle))
        return next((p for p in self.people if any(a.key == key for a in p.accounts)), None)


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best effort: the line where the first named key of `loc` appears in the YAML text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
            if nxt is None:
                for k, _ in node.value:
                    if k.value == part:
                        return k.start_mark.line + 1
                return node.start_mark.line + 1
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    return node.start_mark.line + 1 if node is not None else None


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_of(exc: ValidationError, path: str, text: str | None = None,
                prefix: tuple[Any, ...] = ()) -> list[Problem]:
    """Every error of a pydantic validation, each with its dotted key and (given the text) its line."""
    out = []
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        problem = "unknown key" if err["type"] == "extra_forbidden" else str(err["msg"])
        problem = problem.removeprefix("Value error, ")
        out.append(Problem(path, _dotted(loc), problem, _line_of(text, loc) if text else None))
    return out


def parse_watchlist(data: Any, path: str = "<watchlist>", text: str | None = None) -> Watchlist:
    if not isinstance(data, dict):
        raise WatchlistError(path, "", "the watchlist must be a mapping with at least `organization`")
    try:
        return Watchlist.model_validate(data)
    except ValidationError as exc:
        first, *more = problems_of(exc, path, text)
        raise WatchlistError(path, first.key, first.problem, first.line, more) from None


class _StrictLoader(yaml.SafeLoader):
    """safe_load that refuses a key given twice in one mapping (YAML says keys are unique; PyYAML
    silently keeps the last, so a second `official_accounts:` would drop the first's accounts)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: construct_mapping reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """YAML as configuration is read everywhere: safe, and strict about duplicate keys. Raises
    yaml.YAMLError, or RecursionError for nesting deeper than the parser's stack."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass


def load_watchlist(path: str | Path) -> Watchlist:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise WatchlistError(str(p), "", f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise WatchlistError(str(p), "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", line) from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise WatchlistError(str(p), "", f"not valid YAML: {getattr(exc, 'problem', exc)}",
                             mark.line + 1 if mark else None) from None
    except RecursionError:
        raise WatchlistError(str(p), "", "nested too deeply to be a watchlist") from None
    try:
        return parse_watchlist(data, str(p), text)
    except RecursionError:
        raise WatchlistError(str(p), "", "nested too deeply to be a watchlist") from None
