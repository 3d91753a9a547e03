"""Types and timestamps at the raw boundary (docs/contract.md): bad values are quarantined, not fatal.

A landing set whose exports are sloppy the way real ones are: an integer column delivered as
text ('abc', '12.5', '12.0'), timestamps as ISO text with and without an offset, a time-zone
aware Parquet column, and timestamps out of range (1900, epoch zero, a `_loaded_at` in 2300).
The boundary build runs with a host time zone far from UTC (TZ=Pacific/Auckland on the dbt
process): stored timestamps must still be UTC. A nightly sequence checks that one far-future
`_loaded_at` does not stop incremental loading. The PostgreSQL variant of try_cast_to is
compiled (no server needed) and its guards checked; tests/test_postgres.py runs it for real.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pytest
from fixtures.landing import L1, L2, agent, at, call, customer, ticket, write_part
from fixtures.pg_sql import postgres_try_cast

ROOT = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))
MODELS = ["path:seeds", "path:models/staging", "path:models/marts/quality", "kpi_definitions"]
SELECT = ["--select", *MODELS, "--indirect-selection", "cautious"]
NIGHTLY_SELECT = ["--select", *MODELS, "+fct_calls", "--indirect-selection", "cautious"]
HOST_TZ = "Pacific/Auckland"  # UTC+12/+13: a missing UTC pin shifts every timestamp by half a day


def _iso(value: dt.datetime) -> str:
    return value.isoformat()


def _text_call(cid: str, **kw: object) -> dict:
    """A call as a sloppy export delivers it: talk_seconds and started_at as text."""
    row = call(cid, **kw)
    row["talk_seconds"] = str(row["talk_seconds"]) if not isinstance(row["talk_seconds"], str) else row["talk_seconds"]
    if isinstance(row["started_at"], dt.datetime):
        row["started_at"] = _iso(row["started_at"])
    return row


def _in_1995(cid: str, started: str) -> dict:
    start = dt.datetime.fromisoformat(started)
    return _text_call(
        cid,
        started_at=started,
        queue_entered_at=start + dt.timedelta(seconds=20),
        answered_at=start + dt.timedelta(seconds=40),
        ended_at=start + dt.timedelta(minutes=6),
    )


CALLS = [
    _text_call("C1"),
    _text_call("C2", talk_seconds="abc"),
    _text_call("C3", talk_seconds="12.5"),
    _text_call("C4", talk_seconds="12.0"),
    _text_call("C5", started_at="1900-01-01T10:00:00"),
    _text_call("C6", started_at="1970-01-01T00:00:00"),
    _in_1995("C7", "1995-05-05T10:00:00"),
    # 10:00 at UTC+2 is 08:00 UTC; the later timestamps of the row are after it
    _text_call("C8", started_at="2024-06-01T10:00:00+02:00"),
]
CALL_TEXT = {"talk_seconds": pa.string(), "started_at": pa.string()}
BUCHAREST = ZoneInfo("Europe/Bucharest")
# created_at as a time-zone aware Parquet column: 13:00 in Bucharest (summer, UTC+3) is at(0) UTC
TICKETS = [
    ticket("T1", created_at=at(0).replace(tzinfo=dt.UTC).astimezone(BUCHAREST)),
    ticket("T2", created_at=dt.datetime(1900, 1, 1, 12, tzinfo=BUCHAREST)),
]
TICKET_AWARE = {"created_at": pa.timestamp("us", tz="Europe/Bucharest")}


def _dbt(args: list[str], raw: Path, db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSKPI_", "DBT_"))}
    environment.update(
        {
            "DBT_PROFILES_DIR": str(ROOT),
            "CSKPI_PROJECT_DIR": str(ROOT),
            "CSKPI_TARGET": "duckdb",
            "CSKPI_RAW_DIR": str(raw),
            "CSKPI_DUCKDB_PATH": str(db),
            "CSKPI_THREADS": "2",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            **env,
        }
    )
    cmd = [DBT, *args, "--target-path", str(db.parent / "target"), "--log-path", str(db.parent / "logs")]
    return subprocess.run(cmd, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)


def _land_common(raw: Path) -> None:
    customers = [customer("K1", "RO", "a@example.com"), customer("K2", "PL", "b@example.com")]
    write_part(raw, "shop/customers", customers, "0")
    write_part(raw, "workforce/agents", [agent("A1")], "0")


@pytest.fixture(scope="module")
def boundary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    work = tmp_path_factory.mktemp("boundary")
    raw, db = work / "raw", work / "wh.duckdb"
    _land_common(raw)
    write_part(raw, "telephony/calls", CALLS, "0", CALL_TEXT)
    write_part(raw, "helpdesk/tickets", TICKETS, "0", TICKET_AWARE)
    # the landing set is dirtier than any export: the quarantine-rate check would fail (test_data_checks.py)
    result = _dbt(["build", *SELECT], raw, db, TZ=HOST_TZ, CSKPI_QUARANTINE_THRESHOLD="1")
    assert result.returncode == 0, result.stdout[-6000:]
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def _quarantined(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, tuple[str, str]]:
    rows = con.execute(
        "select row_key, reason, detail from fct_quarantined_rows where source_table = ?", [table]
    ).fetchall()
    return {key: (reason, detail) for key, reason, detail in rows}


def test_non_integral_and_non_numeric_integers_are_invalid_values(boundary: duckdb.DuckDBPyConnection) -> None:
    """'abc' no longer stops the build and '12.5' is not rounded to 13: both are quarantined, named."""
    got = _quarantined(boundary, "telephony/calls")
    assert got["C2"] == ("invalid_value", "telephony/calls row C2: talk_seconds is not a valid integer")
    assert got["C3"] == ("invalid_value", "telephony/calls row C3: talk_seconds is not a valid integer")
    talk = dict(boundary.execute("select call_id, talk_seconds from stg_telephony__calls").fetchall())
    assert talk["C1"] == 300
    assert talk["C4"] == 12  # '12.0' is integral


def test_out_of_range_timestamps_are_quarantined(boundary: duckdb.DuckDBPyConnection) -> None:
    calls = _quarantined(boundary, "telephony/calls")
    assert calls["C5"] == (
        "out_of_range_timestamp",
        "telephony/calls row C5: started_at is before earliest_timestamp 1980-01-01",
    )
    assert calls["C6"][0] == "out_of_range_timestamp"  # epoch zero: an unset timestamp, not a 1970 call
    assert _quarantined(boundary, "helpdesk/tickets")["T2"][0] == "out_of_range_timestamp"
    accepted = {r[0] for r in boundary.execute("select call_id from stg_telephony__calls").fetchall()}
    assert accepted == {"C1", "C4", "C7", "C8"}  # a 1995 call is kept


def test_timestamps_are_utc_whatever_the_host_time_zone(boundary: duckdb.DuckDBPyConnection) -> None:
    """The build ran with TZ=Pacific/Auckland: an offset is applied, text without one and
    tz-aware Parquet values are stored as UTC wall time."""
    started = dict(boundary.execute("select call_id, started_at from stg_telephony__calls").fetchall())
    assert started["C8"] == dt.datetime(2024, 6, 1, 8, 0)
    assert started["C7"] == dt.datetime(1995, 5, 5, 10, 0)
    assert started["C1"] == at(0)
    created = boundary.execute("select created_at from stg_helpdesk__tickets where ticket_id = 'T1'").fetchall()
    assert created == [(at(0),)]
    loaded = boundary.execute("select distinct loaded_at from stg_telephony__calls").fetchall()
    assert loaded == [(L1,)]


def test_a_far_future_loaded_at_does_not_stop_incremental_loading(tmp_path: Path) -> None:
    """Night 0 lands a call with _loaded_at 2300: it is quarantined and the watermark stays at
    the accepted rows, so the calls of the next two nights are loaded and every build is green."""
    raw, db = tmp_path / "raw", tmp_path / "wh.duckdb"
    _land_common(raw)
    write_part(raw, "helpdesk/tickets", [ticket("T1")], "0")
    year_2300 = dt.datetime(2300, 1, 1)
    write_part(raw, "telephony/calls", [call("W1"), call("W2", _loaded_at=year_2300)], "night0")
    nights = [("W3", L2), ("W4", L2 + dt.timedelta(days=1))]
    outputs = [_dbt(["build", *NIGHTLY_SELECT], raw, db)]
    for i, (cid, loaded) in enumerate(nights, start=1):
        write_part(raw, "telephony/calls", [call(cid, _loaded_at=loaded)], f"night{i}")
        outputs.append(_dbt(["build", *NIGHTLY_SELECT], raw, db))
    for night, result in enumerate(outputs):
        assert result.returncode == 0, f"night {night}:\n{result.stdout[-6000:]}"
    con = duckdb.connect(str(db), read_only=True)
    try:
        staged = {r[0] for r in con.execute("select call_id from stg_telephony__calls").fetchall()}
        facts = {r[0] for r in con.execute("select call_id from fct_calls").fetchall()}
        quarantined = _quarantined(con, "telephony/calls")
    finally:
        con.close()
    assert staged == facts == {"W1", "W3", "W4"}
    assert quarantined == {
        "W2": (
            "out_of_range_timestamp",
            "telephony/calls row W2: _loaded_at is more than future_tolerance_minutes after the current time",
        )
    }


def test_postgres_try_cast_is_guarded() -> None:
    """The PostgreSQL try_cast_to (compiled; tests/test_postgres.py runs it on a server): PostgreSQL
    has no try_cast, so every cast but to text sits behind a pattern check inside a case."""
    for contract_type in ("integer", "double", "boolean", "date", "timestamp"):
        sql = postgres_try_cast("raw_value", contract_type)
        guarded = " ~ '^" in sql or (contract_type == "boolean" and " in ('t', 'true'" in sql)
        assert sql.startswith("case") and guarded, contract_type
    # '12.5' does not match the integer pattern; an offset is converted, naive text is not shifted
    assert "'^[+-]?[0-9]{1,10}(\\.0*)?$'" in postgres_try_cast("v", "integer")
    timestamp = postgres_try_cast("v", "timestamp")
    assert "as timestamp with time zone) at time zone 'UTC'" in timestamp and "else cast(" in timestamp
