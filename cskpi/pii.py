"""The PII salt: read from the environment by the database session, never pasted into SQL.

``hash_pii`` (macros/staging/hash_pii.sql) hashes sha256(salt || value). The salt is the secret
that keeps the hashes from being reversed by hashing guessed values (names, e-mail addresses), so
it must be long and random, and it must not end up in dbt's compiled SQL, manifest or logs. Each
adapter therefore reads it inside its own session:

- DuckDB: the dbt-duckdb plugin ``cskpi.duckdb_plugin`` (profiles.yml) sets the session variable
  ``cskpi_pii_salt`` on every cursor; SQL reads ``getvariable('cskpi_pii_salt')``;
- PostgreSQL: libpq's ``PGOPTIONS`` sets the custom setting ``cskpi.pii_salt`` at connect time
  (:func:`session_env`); SQL reads ``current_setting('cskpi.pii_salt')``;
- Spark: the profile's session conf ``spark.cskpi.pii_salt``; SQL reads ``${spark.cskpi.pii_salt}``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

SALT_ENV = "CSKPI_PII_SALT"
DEMO_ENV = "CSKPI_DEMO"
# The shipped demo salt (README): public, so hashes made with it are reversible by guessing.
DEMO_SALT = "cskpi-demo-salt"
# The PostgreSQL custom setting and the DuckDB variable the hash macros read.
PG_SETTING = "cskpi.pii_salt"
MIN_SALT_LENGTH = 16
# Characters that need no quoting in a SQL string literal, PGOPTIONS or a Spark ${} substitution.
_SALT_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.:~]+")
_TRUE = frozenset({"1", "true", "yes", "on"})
HOW_TO_SET = (
    f"export {SALT_ENV}=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))') "
    "and keep it secret (the same salt on every run keeps the hashes joinable)"
)


class PiiSaltError(ValueError):
    """The salt is missing, malformed, or the public demo salt outside the demo."""


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def is_demo(environ: Mapping[str, str] | None = None) -> bool:
    """True when CSKPI_DEMO is set (``make run`` / ``make test`` and the test fixtures set it)."""
    return _env(environ).get(DEMO_ENV, "").strip().lower() in _TRUE


def pii_salt(environ: Mapping[str, str] | None = None) -> str:
    """The salt of this run: CSKPI_PII_SALT, or the demo salt when it is unset or empty."""
    salt = _env(environ).get(SALT_ENV, "")
    if not salt:
        return DEMO_SALT
    if salt == DEMO_SALT:
        return salt
    if len(salt) < MIN_SALT_LENGTH or not _SALT_CHARS.fullmatch(salt):
        raise PiiSaltError(
            f"{SALT_ENV} must be at least {MIN_SALT_LENGTH} characters of A-Z a-z 0-9 _ - + / = . : ~ "
            f"(got {len(salt)} characters); {HOW_TO_SET}"
        )
    return salt


def check_salt(environ: Mapping[str, str] | None = None) -> None:
    """Refuse a build with the public demo salt unless CSKPI_DEMO is set (and any malformed salt)."""
    if pii_salt(environ) == DEMO_SALT and not is_demo(environ):
        raise PiiSaltError(
            f"{SALT_ENV} is not set: the built-in demo salt would make the hashed PII reversible; "
            f"{HOW_TO_SET} (or set {DEMO_ENV}=1 for the demo data)"
        )


def session_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment that hands the salt to a PostgreSQL session (libpq reads PGOPTIONS when it
    connects), added to what the caller already has in PGOPTIONS."""
    env = _env(environ)
    option = f"-c {PG_SETTING}={pii_salt(env)}"
    # an earlier "-c cskpi.pii_salt=..." is replaced, so repeated calls do not stack up
    existing = re.sub(r"(^|\s)-c\s*" + re.escape(PG_SETTING) + r"=\S*", " ", env.get("PGOPTIONS", "")).strip()
    return {"PGOPTIONS": f"{existing} {option}".strip()}
