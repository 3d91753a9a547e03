"""Dagster resources: where the warehouse is, check thresholds and alert delivery.

Every field defaults to ``None`` meaning "read the environment when the run
executes", so one code location serves dev, CI and production without reloads,
and a value set in the launchpad / run config still wins.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import duckdb
from dagster import ConfigurableResource

from cskpi.paths import project_dir
from orchestration.lock import WarehouseLock

log = logging.getLogger("cskpi.orchestration")

DEFAULT_QUARANTINE_THRESHOLD = 0.05
DEFAULT_QUARANTINE_MIN_ROWS = 5
DEFAULT_KPI_JUMP_FACTOR = 3.0
DEFAULT_KPI_JUMP_MIN_CONTACTS = 50
DEFAULT_ALERT_FILE = "data/alerts/alerts.jsonl"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"environment variable {name}={raw!r} is not a number") from None


def _resolve(path: str | os.PathLike[str]) -> Path:
    """Relative paths are relative to the project dir, exactly as dbt (cwd = project dir) sees them."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else project_dir() / p


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file, the landing folder and the lock that serialises writers."""

    duckdb_path: str | None = None
    raw_dir: str | None = None
    lock_timeout_seconds: float | None = None

    def resolved_duckdb_path(self) -> Path:
        default = str(project_dir() / "data" / "warehouse" / "cskpi.duckdb")
        return _resolve(self.duckdb_path or os.environ.get("CSKPI_DUCKDB_PATH") or default)

    def resolved_raw_dir(self) -> Path:
        default = str(project_dir() / "data" / "raw")
        return _resolve(self.raw_dir or os.environ.get("CSKPI_RAW_DIR") or default)

    def resolved_lock_timeout(self) -> float:
        if self.lock_timeout_seconds is not None:
            return self.lock_timeout_seconds
        return _env_float("CSKPI_LOCK_TIMEOUT_SECONDS", 0.0)

    def lock(self, purpose: str = "", shared: bool = False) -> WarehouseLock:
        return WarehouseLock(
            self.resolved_duckdb_path(), timeout=self.resolved_lock_timeout(), purpose=purpose, shared=shared
        )

    @contextmanager
    def dbt_env(self) -> Iterator[None]:
        """Export the resolved locations to the dbt subprocess (dagster-dbt passes os.environ)."""
        wanted = {
            "CSKPI_DUCKDB_PATH": str(self.resolved_duckdb_path()),
            "CSKPI_RAW_DIR": str(self.resolved_raw_dir()),
        }
        saved = {k: os.environ.get(k) for k in wanted}
        os.environ.update(wanted)
        self.resolved_duckdb_path().parent.mkdir(parents=True, exist_ok=True)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    @contextmanager
    def read_only(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection, taken under the warehouse lock so no writer is mid-build."""
        # Shared: the checks run in parallel processes under the multiprocess executor.
        with self.lock(purpose="asset check (read-only)", shared=True):
            con = duckdb.connect(str(self.resolved_duckdb_path()), read_only=True)
            try:
                yield con
            finally:
                con.close()


class CheckSettings(ConfigurableResource):
    """Thresholds of the Python asset checks (env: CSKPI_QUARANTINE_THRESHOLD,
    CSKPI_QUARANTINE_MIN_ROWS, CSKPI_KPI_JUMP_FACTOR, CSKPI_KPI_JUMP_MIN_CONTACTS)."""

    quarantine_threshold: float | None = None
    quarantine_min_rows: int | None = None
    kpi_jump_factor: float | None = None
    kpi_jump_min_contacts: float | None = None

    def resolved_quarantine_threshold(self) -> float:
        if self.quarantine_threshold is not None:
            return self.quarantine_threshold
        return _env_float("CSKPI_QUARANTINE_THRESHOLD", DEFAULT_QUARANTINE_THRESHOLD)

    def resolved_quarantine_min_rows(self) -> int:
        if self.quarantine_min_rows is not None:
            return self.quarantine_min_rows
        return int(_env_float("CSKPI_QUARANTINE_MIN_ROWS", DEFAULT_QUARANTINE_MIN_ROWS))

    def resolved_kpi_jump_factor(self) -> float:
        if self.kpi_jump_factor is not None:
            return self.kpi_jump_factor
        return _env_float("CSKPI_KPI_JUMP_FACTOR", DEFAULT_KPI_JUMP_FACTOR)

    def resolved_kpi_jump_min_contacts(self) -> float:
        if self.kpi_jump_min_contacts is not None:
            return self.kpi_jump_min_contacts
        return _env_float("CSKPI_KPI_JUMP_MIN_CONTACTS", DEFAULT_KPI_JUMP_MIN_CONTACTS)


# --------------------------------------------------------------------------- alerts


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
        return _resolve(self.alert_file or os.environ.get("CSKPI_ALERT_FILE") or DEFAULT_ALERT_FILE)

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
