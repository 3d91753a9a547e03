"""Alerts: the alert record of a failed run or check, and its delivery (a JSON line in the
alert file, always; Slack and e-mail when their environment variables are set).

Used by the failure sensors (orchestration/sensors.py) and by ``cskpi run``, whose in-process
runs no sensor sees.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dagster import AssetCheckEvaluation, AssetCheckSeverity, ConfigurableResource
from dagster._core.execution.plan.objects import StepFailureData

from cskpi.paths import resolve

log = logging.getLogger("cskpi.orchestration")

DEFAULT_ALERT_FILE = "data/alerts/alerts.jsonl"


def step_failure_reason(data: StepFailureData | None) -> str:
    """The useful part of a step failure: a ``Failure`` description, else the innermost
    error message (Dagster wraps user exceptions in DagsterExecutionStepExecutionError)."""
    if data is None:
        return "unknown error"
    if data.user_failure_data is not None and data.user_failure_data.description:
        return " ".join(data.user_failure_data.description.split())
    error = data.error
    messages = []
    while error is not None:
        messages.append(error.message.strip())
        error = error.cause
    return " ".join(" <- ".join(reversed(messages)).split()) or "unknown error"


def failure_alert(
    job: str,
    run_id: str,
    message: str,
    failed_steps: Sequence[Mapping[str, str]] = (),
    tags: Mapping[str, str] | None = None,
    event: str = "run_failure",
) -> dict[str, Any]:
    """The alert record (one JSON line in the alert file, the payload of every hook)."""
    return {
        "event": event,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "job": job,
        "run_id": run_id,
        "message": message,
        "failed_steps": [dict(s) for s in failed_steps],
        "retry_number": (tags or {}).get("dagster/retry_number", "0"),
    }


def failed_error_checks(evaluations: Sequence[AssetCheckEvaluation]) -> list[dict[str, str]]:
    """ERROR-severity checks that did not pass (WARN ones are visible in the UI only)."""
    return [
        {
            "check": f"{e.asset_key.to_user_string()}:{e.check_name}",
            "description": " ".join((e.description or "").split())[:2000],
        }
        for e in evaluations
        if not e.passed and e.severity == AssetCheckSeverity.ERROR
    ]



@runtime_checkable
class AlertHook(Protocol):
    """Anything that can deliver an alert. ``alert`` is a flat JSON-serialisable dict with
    at least ``event``, ``job``, ``run_id``, ``message`` and ``at``.

    To add a channel (PagerDuty, Teams, ...) implement ``send`` and return it from
    ``alert_hooks_from_env``; raise nothing for delivery problems you can log instead.
    """

    name: str

    def send(self, alert: Mapping[str, Any]) -> None: ...


class JsonlFileHook:
    """Appends one JSON line per alert; always on, so alerts are never lost silently."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, alert: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(dict(alert), sort_keys=True, default=str) + "\n")


class SlackWebhookHook:
    """Posts to a Slack incoming webhook (env CSKPI_ALERT_SLACK_WEBHOOK_URL)."""

    name = "slack"

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, alert: Mapping[str, Any]) -> None:
        body = json.dumps({"text": format_alert(alert)}).encode()
        request = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout):  # noqa: S310 - URL comes from config
            pass


class SmtpHook:
    """Sends an e-mail (env CSKPI_ALERT_SMTP_HOST, _PORT, _USER, _PASSWORD, CSKPI_ALERT_EMAIL_FROM/_TO)."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        user: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.recipients = list(recipients)
        self.user, self.password = user, password

    def send(self, alert: Mapping[str, Any]) -> None:
        msg = EmailMessage()
        msg["Subject"] = f"[cskpi] {alert.get('event', 'alert')}: {alert.get('job', '')}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg.set_content(format_alert(alert))
        with smtplib.SMTP(self.host, self.port, timeout=15) as smtp:
            if self.user:
                smtp.starttls()
                smtp.login(self.user, self.password or "")
            smtp.send_message(msg)


def format_alert(alert: Mapping[str, Any]) -> str:
    return (
        f"cskpi {alert.get('event', 'alert')}: job {alert.get('job')} run {alert.get('run_id')} "
        f"-- {alert.get('message')}"
    )


def alert_hooks_from_env(alert_file: Path) -> list[AlertHook]:
    """The file hook, plus network hooks only when their env vars are set (none by default)."""
    hooks: list[AlertHook] = [JsonlFileHook(alert_file)]
    webhook = os.environ.get("CSKPI_ALERT_SLACK_WEBHOOK_URL", "").strip()
    if webhook:
        hooks.append(SlackWebhookHook(webhook))
    smtp_host = os.environ.get("CSKPI_ALERT_SMTP_HOST", "").strip()
    recipients = [r.strip() for r in os.environ.get("CSKPI_ALERT_EMAIL_TO", "").split(",") if r.strip()]
    if smtp_host and recipients:
        hooks.append(
            SmtpHook(
                host=smtp_host,
                port=int(os.environ.get("CSKPI_ALERT_SMTP_PORT", "587")),
                sender=os.environ.get("CSKPI_ALERT_EMAIL_FROM", "cskpi@localhost"),
                recipients=recipients,
                user=os.environ.get("CSKPI_ALERT_SMTP_USER") or None,
                password=os.environ.get("CSKPI_ALERT_SMTP_PASSWORD") or None,
            )
        )
    return hooks


class AlertResource(ConfigurableResource):
    """Delivers alerts: a log line, a JSON line in ``alert_file`` and any env-configured hooks."""

    alert_file: str | None = None

    def resolved_alert_file(self) -> Path:
        return resolve(self.alert_file or os.environ.get("CSKPI_ALERT_FILE") or DEFAULT_ALERT_FILE)

    def hooks(self) -> list[AlertHook]:
        return alert_hooks_from_env(self.resolved_alert_file())

    def send(self, alert: Mapping[str, Any]) -> list[str]:
        """Send to every hook; returns the names of hooks that failed (delivery problems are
        logged, not raised, so one broken channel cannot hide the alert from the others)."""
        log.error(format_alert(alert))
        failed: list[str] = []
        for hook in self.hooks():
            try:
                hook.send(alert)
            except (OSError, urllib.error.URLError, smtplib.SMTPException) as exc:
                log.warning("alert hook %s failed: %s", hook.name, exc)
                failed.append(hook.name)
        return failed
