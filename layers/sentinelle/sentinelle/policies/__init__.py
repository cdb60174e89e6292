"""Policy packs (versioned YAML data) and organisation rules, validated and compiled for `leaks`."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable

import ahocorasick
import regex
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sentinelle.model import Severity
from sentinelle.watchlist import PATTERN_TIMEOUT, check_patterns, compile_pattern
from sentinelle.signals.identifiers import KINDS
from sentinelle.watchlist import Watchlist

log = logging.getLogger("sentinelle.policies")

PACKS = ("health", "finance")


class PolicyError(ValueError):
    """A policy pack that cannot be used; the message names the pack, the key and the problem."""


class PolicyRule(BaseModel):
    """One rule. It fires on any of its terms or patterns, on any identifier of `kinds`, or (with
    `names`) on a person's name; when `context` is given, one of its words must be there too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = Field(min_length=1)
    severity: Severity
    terms: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    context: list[str] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    names: bool = False

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(KINDS))
        if unknown:
            raise ValueError(f"unknown identifier kind(s) {unknown}; known: {', '.join(KINDS)}")
        return v

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        return check_patterns(v)


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    version: int = Field(ge=1)
    description: str = Field(min_length=1)
    rules: list[PolicyRule] = Field(min_length=1)


_COMBINING = re.compile(r"[\u0300-\u036f]")


def fold(text: str) -> str:
    """Case- and accent-insensitive form for matching words ('Rendement Garanti' = 'rendement garanti')."""
    folded = text.casefold().replace("’", "'")
    return folded if folded.isascii() else _COMBINING.sub("", unicodedata.normalize("NFKD", folded))


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    folded = sorted({fold(w).strip() for w in words if w.strip()}, key=len, reverse=True)
    if not folded:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in folded) + r")(?!\w)")


@lru_cache(maxsize=None)
def load_pack(name: str) -> Pack:
    """The built-in pack `name` (health, finance), validated; PolicyError names what is wrong."""
    if name not in PACKS:
        raise PolicyError(f"unknown policy pack {name!r}; known: {', '.join(PACKS)}")
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_pack(yaml.safe_load(text), f"{name}.yaml")


def parse_pack(data: object, where: str = "<pack>") -> Pack:
    try:
        return Pack.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        problem = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise PolicyError(f"{where}: {key}: {problem}") from None


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to run: words and patterns compiled once per watchlist."""

    kind: str  # "policy:<rule id>"
    rule: PolicyRule
    pack: str | None  # None for the organisation's own rules
    version: int | None
    terms: re.Pattern[str] | None
    patterns: tuple["regex.Pattern[str]", ...]
    context: re.Pattern[str] | None

    def context_word(self, folded: str) -> str | None:
        """The context word found in the (folded) text; '' when the rule needs none."""
        if self.context is None:
            return ""
        m = self.context.search(folded)
        return m.group() if m else None

    def term(self, folded: str) -> str | None:
        m = self.terms.search(folded) if self.terms else None
        return m.group() if m else None

    def pattern(self, text: str) -> "regex.Match[str] | None":
        """The first match of the rule's patterns; a pattern out of time on `text` counts as no
        match (logged with the rule's id), so one bad rule cannot stall a scan."""
        for p in self.patterns:
            try:
                m = p.search(text, timeout=PATTERN_TIMEOUT)
            except TimeoutError:
                log.warning("policy %s: pattern %r gave up after %.2f s on a %d-character text",
                            self.kind, p.pattern, PATTERN_TIMEOUT, len(text))
                continue
            if m:
                return m
        return None


def _compile(rule: PolicyRule, pack: Pack | None) -> CompiledRule:
    return CompiledRule(
        kind=f"policy:{rule.id}", rule=rule, pack=pack.id if pack else None,
        version=pack.version if pack else None, terms=_alternation(rule.terms),
        patterns=tuple(compile_pattern(p) for p in rule.patterns),
        context=_alternation(rule.context))


def compile_policies(watchlist: Watchlist) -> tuple[CompiledRule, ...]:
    """The packs the watchlist enables and its own rules (`policies.rules`), compiled."""
    out = [_compile(r, pack) for name in watchlist.policies.packs for pack in [load_pack(name)] for r in pack.rules]
    for r in watchlist.policies.rules:
        out.append(_compile(PolicyRule(id=_slug(r.id), description=r.description or f"organisation rule {r.id}",
                                       severity=r.severity, terms=r.terms, patterns=r.patterns), None))
    return tuple(out)


class PolicyIndex:
    """The compiled rules, and the few worth running on one text.

    A rule can only fire where its context word is (when it names one) and where one of its terms
    is (unless it also fires on patterns, names or identifiers): one pass of an automaton over the
    folded text finds the words present, so thousands of rules cost about what a few do. The rules
    it returns are then run as before, their own expressions deciding (word boundaries included).
    """

    def __init__(self, rules: tuple[CompiledRule, ...]) -> None:
        self.rules = rules
        self._automaton = ahocorasick.Automaton()
        words: dict[str, list[tuple[int, bool]]] = {}  # folded word → (rule, is a context word)
        self._always: list[int] = []  # rules no word gates
        for i, r in enumerate(rules):
            gated = False
            for w in r.rule.context:
                words.setdefault(fold(w).strip(), []).append((i, True))
                gated = True
            if not (r.rule.patterns or r.rule.names or r.rule.kinds):
                for w in r.rule.terms:
                    words.setdefault(fold(w).strip(), []).append((i, False))
                    gated = True
            if not gated:
                self._always.append(i)
        for w, hits in words.items():
            if w:
                self._automaton.add_word(w, tuple(hits))
        if len(self._automaton):
            self._automaton.make_automaton()

    @classmethod
    def of(cls, watchlist: Watchlist) -> "PolicyIndex":
        return cls(compile_policies(watchlist))

    def relevant(self, folded: str) -> list[CompiledRule]:
        """The rules that may fire on `folded` (a `fold`ed text), in the watchlist's order."""
        context: set[int] = set()
        term: set[int] = set()
        if len(self._automaton):
            for _, hits in self._automaton.iter(folded):
                for i, is_context in hits:
                    (context if is_context else term).add(i)
        out = set(self._always)
        for i in context | term:
            r = self.rules[i].rule
            if (not r.context or i in context) and (r.patterns or r.names or r.kinds or not r.terms or i in term):
                out.add(i)
        return [self.rules[i] for i in sorted(out)]


def _slug(rule_id: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", fold(rule_id)).strip("-") or "rule"
