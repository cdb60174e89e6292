"""Where alerts go: the console, SMTP, a webhook (chat or SOAR) and the SNS topic (AWS)."""

from __future__ import annotations

import json
import logging
import os
import smtplib
import time
import unicodedata
from email.message import EmailMessage
from functools import cached_property
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from sentinelle import alerting
from sentinelle.alerts import format as fmt
from sentinelle.model import Change, Incident
from sentinelle.ports import Channel, Items, Sink
from sentinelle.watchlist import Team, Thresholds

log = logging.getLogger("sentinelle.alerts")
T = TypeVar("T")

# Local sinks by name, each registered once by its class (`@local_sink`); `alerts.dispatch.build_sinks`
# asks each to build itself from the run configuration's `alerts` section and the environment.
LOCAL_SINKS: dict[str, type[LocalSink]] = {}


class LocalSink(Protocol):
    name: ClassVar[str]

    @classmethod
    def from_config(cls, alerts: Any, env: Mapping[str, str]) -> Sink | None:
        """The sink as `alerts` (the run configuration's section) and `env` set it up; None when it
        is off. Raises ValueError when it is on but cannot work (logged and left out)."""
        ...


def local_sink(cls: type[T]) -> type[T]:
    """Class decorator: register a local sink once; a second registration of a name is an error."""
    name = cls.name  # type: ignore[attr-defined]
    if name in LOCAL_SINKS:
        raise ValueError(f"sink {name!r} is already registered by {LOCAL_SINKS[name].__module__}")
    LOCAL_SINKS[name] = cls  # type: ignore[assignment]
    return cls


@local_sink
class ConsoleSink:
    """A panel per alert in the terminal (local mode), a table for a digest."""

    name = "console"
    threshold: ClassVar[Channel] = "alert"

    @classmethod
    def from_config(cls, alerts: Any, env: Mapping[str, str]) -> ConsoleSink | None:
        return cls() if alerts is None or alerts.console else None

    def __init__(self, console: Any = None):
        self._console = console

    @cached_property
    def console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=False)
        return self._console

    def send(self, incident: Incident, change: Change) -> None:
        from rich.panel import Panel

        subject, body = fmt.email(incident, change)
        style = {"critical": "bold red", "high": "red", "medium": "yellow"}.get(incident.severity.value, "cyan")
        self.console.print(Panel(body.rstrip(), title=subject, title_align="left", border_style=style,
                                 expand=False), markup=False, highlight=False)

    def send_digest(self, items: Items) -> None:
        from rich.table import Table

        subject, _ = fmt.digest_email(items)
        table = Table(title=subject, title_justify="left", caption="details: sentinelle incidents, or the API",
                      caption_justify="left")
        table.add_column("severity", no_wrap=True)
        table.add_column("what")
        table.add_column("who", overflow="fold")
        table.add_column("score", justify="right", no_wrap=True)
        for inc, ch in sorted(items, key=lambda ic: (-ic[0].severity.rank, -ic[0].score)):
            mark = {Change.escalated: " ↑", Change.reopened: " ↺"}.get(Change(ch), "")
            table.add_row(inc.severity.value + mark, f"{inc.detector}/{inc.kind}", fmt.who(inc, names=False),
                          str(inc.score))
        self.console.print(table)


@local_sink
class SmtpSink:
    """E-mail through an SMTP relay (STARTTLS unless port 465, which speaks TLS from the start)."""

    name = "smtp"
    threshold: ClassVar[Channel] = "alert"

    @classmethod
    def from_config(cls, alerts: Any, env: Mapping[str, str]) -> SmtpSink | None:
        if alerts is None or not alerts.smtp:
            return None
        sink = cls.from_env(env)
        if sink is None:
            raise ValueError("SENTINELLE_SMTP_HOST is not set")
        return sink

    def __init__(self, host: str, port: int = 587, *, user: str | None = None, password: str | None = None,
                 sender: str = "sentinelle@localhost", to: Sequence[str] = (), starttls: bool = True,
                 timeout: float = 20.0):
        if not to:
            raise ValueError("SmtpSink needs at least one recipient (SENTINELLE_SMTP_TO)")
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.to, self.starttls, self.timeout = sender, list(to), starttls, timeout

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SmtpSink | None:
        """From SENTINELLE_SMTP_HOST/PORT/USER/PASSWORD/FROM/TO (comma-separated); None without a host."""
        env: Mapping[str, str] = os.environ if environ is None else environ
        host = env.get("SENTINELLE_SMTP_HOST")
        if not host:
            return None
        return cls(host, int(env.get("SENTINELLE_SMTP_PORT") or 587), user=env.get("SENTINELLE_SMTP_USER") or None,
                   password=env.get("SENTINELLE_SMTP_PASSWORD") or None,
                   sender=env.get("SENTINELLE_SMTP_FROM") or "sentinelle@localhost",
                   to=[a.strip() for a in (env.get("SENTINELLE_SMTP_TO") or "").split(",") if a.strip()],
                   starttls=(env.get("SENTINELLE_SMTP_STARTTLS", "1").lower() not in ("0", "false", "no")))

    def _send(self, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = subject, self.sender, ", ".join(self.to)
        msg.set_content(body)
        if self.port == 465:
            server: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with server:
            if self.starttls and self.port != 465:
                server.starttls()
            if self.user:
                server.login(self.user, self.password or "")
            server.send_message(msg)

    def send(self, incident: Incident, change: Change) -> None:
        self._send(*fmt.email(incident, change))

    def send_digest(self, items: Items) -> None:
        self._send(*fmt.digest_email(items))


@local_sink
class WebhookSink:
    """POSTs the JSON payload (a `text` field for Slack/Teams, the incident for SOARs)."""

    name = "webhook"
    threshold: ClassVar[Channel] = "alert"

    @classmethod
    def from_config(cls, alerts: Any, env: Mapping[str, str]) -> WebhookSink | None:
        url = (alerts.webhook if alerts is not None else None) or env.get("SENTINELLE_WEBHOOK_URL")
        return cls(url) if url else None
    RETRY_STATUS = frozenset({429, 500, 502, 503, 504})

    def __init__(self, url: str, *, client: Any = None, retries: int = 3, backoff: float = 0.5,
                 timeout: float = 10.0):
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"webhook URL must be http(s): {url!r}")
        self.url, self._client, self.retries, self.backoff, self.timeout = url, client, retries, backoff, timeout

    @cached_property
    def client(self) -> Any:
        if self._client is None:
            import httpx

            from sentinelle.http import USER_AGENT

            self._client = httpx.Client(timeout=self.timeout, headers={"User-Agent": USER_AGENT})
        return self._client

    def _post(self, payload: dict[str, Any]) -> None:
        import httpx

        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                r = self.client.post(self.url, json=payload)
            except httpx.TransportError:
                if last:
                    raise
            else:
                if r.status_code < 300:
                    return
                if r.status_code not in self.RETRY_STATUS or last:
                    # Never echo the URL: chat webhook URLs are secrets.
                    raise RuntimeError(f"webhook answered HTTP {r.status_code}")
            time.sleep(self.backoff * 2**attempt)

    def send(self, incident: Incident, change: Change) -> None:
        self._post(fmt.webhook_payload(incident, change))

    def send_digest(self, items: Items) -> None:
        self._post(fmt.digest_payload(items))


class TeamSink:
    """A team's own delivery (its e-mail or webhook): the alerts the watchlist routes to the team."""

    threshold: ClassVar[Channel] = "alert"

    def __init__(self, team: str, inner: Sink):
        self.team, self.inner = team, inner
        self.name = f"{inner.name}:{team}"

    def send(self, incident: Incident, change: Change) -> object:
        return self.inner.send(incident, change)

    def send_digest(self, items: Items) -> object:
        return self.inner.send_digest(items)


def team_sinks(team: Team, alerts: Any, env: Mapping[str, str]) -> list[Sink]:
    """A team's e-mail (through the SENTINELLE_SMTP_* relay, when `alerts.smtp` is on) and webhook;
    one that cannot work is logged and left out, the other kept."""
    out: list[Sink] = []
    if team.webhook:
        out.append(TeamSink(team.name, WebhookSink(team.webhook)))
    if team.email and alerts is not None and alerts.smtp:
        relay = SmtpSink.from_env({**env, "SENTINELLE_SMTP_TO": ",".join(team.email)})
        if relay is None:
            log.warning("team %s: e-mail is on but not usable: SENTINELLE_SMTP_HOST is not set", team.name)
        else:
            out.append(TeamSink(team.name, relay))
    elif team.email:
        log.info("team %s: e-mail is off locally (alerts.smtp); its webhook, if any, is used", team.name)
    return out


def _sns_subject(text: str) -> str:
    # SNS subjects: ASCII, no line breaks, under 100 characters.
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(ascii_text.split())[:99]


class SnsSink:
    """Publishes to the alert topic: one message with e-mail, SMS and JSON variants, and message
    attributes that subscriptions filter on: `channels` (what the alert policy chose under the
    watchlist's thresholds: `alert`, and `sms` for the severe), `team` (the watchlist's teams that
    own it, when any), `severity` and `detector`.

    A digest goes out once to the default channels (no `team`), and once more per team with only
    that team's incidents (`channels: ["team"]`, which no default subscription takes), so a team's
    subscription (`team: [name]`) never receives another team's incidents."""

    name = "sns"
    threshold: ClassVar[Channel] = "alert"
    MAX_BYTES = 250_000  # SNS takes 256 KB with the attributes

    def __init__(self, topic_arn: str, thresholds: Thresholds, *, teams: Sequence[Team] = (), client: Any = None):
        if not topic_arn:
            raise ValueError("SnsSink needs a topic ARN (SENTINELLE_TOPIC_ARN)")
        self.topic_arn = topic_arn
        self.thresholds = thresholds
        self.teams = list(teams)
        self._client = client

    @cached_property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("sns")
        return self._client

    def _publish(self, subject: str, body: str, sms: str, payload: dict[str, Any],
                 attributes: dict[str, dict[str, str]]) -> str:
        doc = json.dumps(payload, ensure_ascii=False)
        # `default` serves every other protocol (https webhooks, SQS, Lambda): the JSON payload.
        message = json.dumps({"default": doc, "email": body, "sms": sms}, ensure_ascii=False)
        if len(message.encode()) > self.MAX_BYTES:
            # Huge evidence or a long digest: keep the summary and the links, not the whole record.
            slim = {k: v for k, v in payload.items() if k not in ("incident", "incidents")}
            slim["truncated"] = True
            message = json.dumps({"default": json.dumps(slim, ensure_ascii=False),
                                  "email": body[: self.MAX_BYTES // 4], "sms": sms}, ensure_ascii=False)
        resp = self.client.publish(TopicArn=self.topic_arn, Subject=_sns_subject(subject), Message=message,
                                   MessageStructure="json", MessageAttributes=attributes)
        return str(resp.get("MessageId", ""))

    def _channels(self, incidents: list[Incident]) -> dict[str, str]:
        names = sorted({c for inc in incidents for c in alerting.channels(inc, self.thresholds)})
        return {"DataType": "String.Array", "StringValue": json.dumps(names)}

    def send(self, incident: Incident, change: Change) -> str:
        subject, body = fmt.email(incident, change)
        teams = alerting.teams(incident, self.teams)
        payload = fmt.webhook_payload(incident, change)
        attributes = {
            "channels": self._channels([incident]),
            "severity": {"DataType": "String", "StringValue": incident.severity.value},
            "detector": {"DataType": "String", "StringValue": incident.detector},
        }
        if teams:
            payload["teams"] = list(teams)
            attributes["team"] = {"DataType": "String.Array", "StringValue": json.dumps(list(teams))}
        return self._publish(subject, body, fmt.sms(incident, change), payload, attributes)

    def send_digest(self, items: Items) -> str:
        """The default channels' digest (its message id is returned), then one per team."""
        message_id = self._digest(items, self._channels([inc for inc, _ in items]))
        for team in self.teams:
            owned = [(i, c) for i, c in items if team.name in alerting.teams(i, self.teams)]
            if owned:
                self._digest(owned, {"DataType": "String.Array", "StringValue": json.dumps(["team"])}, team.name)
        return message_id

    def _digest(self, items: Items, channels: dict[str, str], team: str | None = None) -> str:
        subject, body = fmt.digest_email(items)
        detectors = sorted({inc.detector for inc, _ in items})
        # A String.Array matches a filter on any of its values: a `detector: [leaks]`
        # subscription still receives a digest that contains leaks.
        # The SMS variant names the SMS-worthy incidents only, as a local SMS sink's digest does.
        severe = [(i, c) for i, c in items if "sms" in alerting.channels(i, self.thresholds)]
        attributes = {
            "channels": channels,
            "severity": {"DataType": "String", "StringValue": fmt.max_severity(i for i, _ in items).value},
            "detector": {"DataType": "String.Array", "StringValue": json.dumps(detectors)},
        }
        payload = fmt.digest_payload(items)
        if team is not None:
            attributes["team"] = {"DataType": "String.Array", "StringValue": json.dumps([team])}
            payload["team"] = team
        return self._publish(subject, body, fmt.digest_sms(severe or items), payload, attributes)


__all__ = ["ConsoleSink", "SmtpSink", "SnsSink", "TeamSink", "WebhookSink", "team_sinks"]
