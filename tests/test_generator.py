"""Tests of ``cskpi generate``: contract conformance, consistency, scenarios, dirt, CLI."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from cskpi import contract
from cskpi.cli import main
from cskpi.generator import GenerateConfig, generate
from cskpi.generator.arrow import ARROW_TYPES
from cskpi.generator.dirt import applicable


def _connect(out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for t in contract.TABLES:
        con.execute(f"create view {t.name} as select * from read_parquet('{out}/{t.path}/*.parquet')")
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def _digest(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """Clean RO + PL data over both scenario periods, shared by most tests."""
    out = tmp_path_factory.mktemp("story")
    manifest = generate(GenerateConfig(out=out, start=date(2024, 1, 1), days=456,
                                       markets=("RO", "PL"), scale=0.5, dirt=0.0, quiet=True))
    return out, manifest


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("dirty")
    manifest = generate(GenerateConfig(out=out, days=75, markets=("HU", "DE"), scale=0.5, dirt=0.02, quiet=True))
    return out, manifest


# --- contract -------------------------------------------------------------------------------


def test_every_contract_table_and_column_with_arrow_types(story):
    out, manifest = story
    for t in contract.TABLES:
        files = sorted((out / t.path).glob("part-*.parquet"))
        assert files, t.path
        schema = pq.read_schema(files[0])
        assert schema.names == list(t.column_names), t.path
        for col in t.columns:
            assert schema.field(col.name).type == ARROW_TYPES[col.type], (t.path, col.name)
        assert manifest["tables"][t.path]["rows"] == sum(pq.read_metadata(f).num_rows for f in files)


def test_accepted_values_and_unique_keys_when_clean(story):
    out, manifest = story
    con = _connect(out)
    for t in contract.TABLES:
        assert manifest["tables"][t.path]["rows"] > 0, t.path
        for col in t.columns:
            if col.accepted_values:
                bad = _one(con, f"select count(*) from {t.name} where {col.name} is not null and {col.name} "
                                f"not in ({', '.join(repr(v) for v in col.accepted_values)})")
                assert bad == 0, (t.path, col.name)
        keys = ", ".join(t.primary_key)
        dupes = _one(con, f"select count(*) from (select {keys} from {t.name} group by all having count(*) > 1)")
        nulls = _one(con, f"select count(*) from {t.name} where {' or '.join(k + ' is null' for k in t.primary_key)}")
        assert dupes == 0 and nulls == 0, t.path
        assert _one(con, f"select count(*) from {t.name} where _loaded_at is null") == 0
    assert all(v == 0 for t in manifest["tables"].values() for v in t["dirt"].values())


def test_id_formats_and_references(story):
    con = _connect(story[0])
    assert _one(con, "select count(*) from tickets where not regexp_matches(ticket_id, '^T[0-9]{8}$')") == 0
    assert _one(con, "select count(*) from ticket_events where not regexp_matches(event_id, '^E[0-9]{9}$')") == 0
    assert _one(con, "select count(*) from calls where not regexp_matches(call_id, '^K[0-9]{8}$')") == 0
    assert _one(con, "select count(*) from customers where not regexp_matches(customer_id, '^C[0-9]{7}$')") == 0
    assert _one(con, "select count(*) from agents where not regexp_matches(agent_id, '^A[0-9]{4}$')") == 0
    for child, col, parent, key in (("ticket_events", "ticket_id", "tickets", "ticket_id"),
                                    ("orders", "customer_id", "customers", "customer_id"),
                                    ("calls", "agent_id", "agents", "agent_id"),
                                    ("tickets", "order_id", "orders", "order_id"),
                                    ("satisfaction_ratings", "call_id", "calls", "call_id"),
                                    ("ces_responses", "ticket_id", "tickets", "ticket_id")):
        orphans = _one(con, f"select count(*) from {child} c where c.{col} is not null and not exists "
                            f"(select 1 from {parent} p where p.{key} = c.{col})")
        assert orphans == 0, (child, col)


def test_ratings_reference_exactly_one_contact(story):
    con = _connect(story[0])
    assert _one(con, "select count(*) from satisfaction_ratings where (ticket_id is null) = (call_id is null)") == 0
    assert _one(con, "select count(*) from satisfaction_ratings where score not between 1 and 5") == 0
    assert _one(con, "select count(*) from nps_responses where score not between 0 and 10") == 0
    assert _one(con, "select count(*) from ces_responses where score not between 1 and 7") == 0


def test_calls_timestamps_are_consistent(story):
    con = _connect(story[0])
    checks = {
        "queued": "direction = 'inbound' and queue_entered_at is not null "
                  "and queue_entered_at <> started_at + to_seconds(ivr_seconds)",
        "answered": "outcome = 'answered' and direction = 'inbound' and (answered_at <> queue_entered_at + "
                    "to_seconds(queue_seconds) or ended_at <> answered_at + to_seconds(talk_seconds + hold_seconds) "
                    "or agent_id is null or disposition is null)",
        "unanswered": "outcome <> 'answered' and (answered_at is not null or agent_id is not null or disposition "
                      "is not null or talk_seconds <> 0 or hold_seconds <> 0 or after_call_work_seconds <> 0)",
        "abandoned": "outcome in ('abandoned', 'callback_requested') and ended_at <> queue_entered_at + "
                     "to_seconds(queue_seconds)",
        "never_queued": "outcome in ('ivr_completed', 'voicemail') and direction = 'inbound' "
                        "and queue_entered_at is not null",
        "order": "ended_at < started_at or ivr_seconds < 0 or queue_seconds < 0",
    }
    for name, where in checks.items():
        assert _one(con, f"select count(*) from calls where {where}") == 0, name
    share = con.execute("select avg((direction = 'outbound')::int), avg((customer_id is null)::int), "
                        "avg((outcome = 'ivr_completed')::int) from calls").fetchone()
    assert 0.005 < share[0] < 0.08 and 0.08 < share[1] < 0.35 and 0.01 < share[2] < 0.15


def test_ticket_status_agrees_with_events(story):
    con = _connect(story[0])
    mismatches = _one(con, """
        with last as (
            select ticket_id,
                   arg_max(status_to, (event_at, event_id)) filter (where event_type = 'status_change') status,
                   max(event_at) filter (where status_to = 'solved') solved_at,
                   max(event_at) updated_at,
                   min(event_at) filter (where event_type = 'created') created_at
            from ticket_events group by ticket_id)
        select count(*) from tickets t join last l using (ticket_id)
        where t.status <> coalesce(l.status, 'new') or t.solved_at is distinct from l.solved_at
           or t.updated_at <> l.updated_at or t.created_at <> l.created_at""")
    assert mismatches == 0
    assert _one(con, "select count(*) from tickets t where not exists "
                     "(select 1 from ticket_events e where e.ticket_id = t.ticket_id)") == 0
    reopened = _one(con, "select count(distinct ticket_id) from ticket_events "
                         "where status_from = 'solved' and status_to = 'open'")
    escalated = _one(con, "select count(distinct ticket_id) from ticket_events where event_type = 'escalation'")
    assert reopened > 0 and escalated > 0
    assert _one(con, "select count(*) from ticket_events where event_type = 'escalation' "
                     "and escalated_to is null") == 0


def test_nothing_before_launch_and_agents_employed(story):
    con = _connect(story[0])
    # RO launches 2024-03-01 local time (UTC+2).
    for table, col in (("orders", "ordered_at"), ("tickets", "created_at"), ("calls", "started_at")):
        assert _one(con, f"select count(*) from {table} where market_code = 'RO' "
                         f"and {col} < timestamp '2024-02-29 22:00:00'") == 0
    employed = _one(con, """select count(*) from calls c join agents a using (agent_id)
        where c.started_at::date < a.hired_on - 1 or c.started_at::date > coalesce(a.left_on, date '2100-01-01') + 1
           or a.market_code <> c.market_code""")
    assert employed == 0
    costs = con.execute("select count(distinct cost_month), count(*) from operating_costs "
                        "where market_code = 'RO'").fetchone()
    assert costs[1] == costs[0] * 5 and costs[0] == 13  # Mar 2024 .. Mar 2025
    assert _one(con, "select count(*) from orders o join (values ('RO', 'RON'), ('PL', 'PLN')) m(code, cur) "
                     "on o.market_code = m.code where o.currency <> m.cur") == 0


# --- story: scenarios must be visible in the raw data ------------------------------------


def _contacts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""create or replace view contacts as
        select market_code, queue category, customer_id, started_at t from calls where direction = 'inbound'
        union all select market_code, category, customer_id, created_at from tickets""")


def test_romania_pre_sales_share_drops_after_trust_fix(story):
    con = _connect(story[0])
    _contacts(con)

    def share(lo: str, hi: str) -> float:
        return _one(con, f"select avg((category = 'pre_sales')::int) from contacts where market_code = 'RO' "
                         f"and t >= '{lo}' and t < '{hi}'")

    launch, after = share("2024-03-01", "2024-06-01"), share("2024-06-01", "2024-09-01")
    assert launch > 0.3 and after < 0.16 and launch > 2.5 * after


def test_romania_call_duration_drops_after_trust_fix(story):
    con = _connect(story[0])

    def acd(lo: str, hi: str) -> float:
        return _one(con, "select avg(talk_seconds + hold_seconds) / 60 from calls where market_code = 'RO' "
                         f"and outcome = 'answered' and direction = 'inbound' and started_at >= '{lo}' "
                         f"and started_at < '{hi}'")

    assert 3.8 < acd("2024-03-01", "2024-06-01") < 4.6
    assert 2.6 < acd("2024-06-01", "2024-09-01") < 3.4


def test_poland_repeat_contacts_and_csat_recover_with_internal_slas(story):
    con = _connect(story[0])
    _contacts(con)

    def repeat_share(lo: str, hi: str) -> float:
        return _one(con, f"""select avg(exists(select 1 from contacts p where p.customer_id = c.customer_id
                                and p.t < c.t and p.t >= c.t - interval 7 day)::int)
            from contacts c where market_code = 'PL' and customer_id is not null
              and t >= '{lo}' and t < '{hi}'""")

    def csat(lo: str, hi: str) -> float:
        return _one(con, f"""select avg((score >= 4)::int) from satisfaction_ratings r
            left join tickets t using (ticket_id) left join calls k using (call_id)
            where coalesce(t.market_code, k.market_code) = 'PL' and rated_at >= '{lo}' and rated_at < '{hi}'""")

    bad, fixed = repeat_share("2024-09-01", "2025-01-01"), repeat_share("2025-01-01", "2025-04-01")
    assert bad > 1.8 * fixed
    assert csat("2024-09-01", "2025-01-01") < 0.75 < 0.8 < csat("2025-01-15", "2025-04-01")
    wait_bad = _one(con, "select avg(queue_seconds) from calls where market_code = 'PL' and outcome = 'answered' "
                         "and direction = 'inbound' and started_at between '2024-09-01' and '2024-12-31'")
    wait_before = _one(con, "select avg(queue_seconds) from calls where market_code = 'PL' and "
                            "outcome = 'answered' and direction = 'inbound' and started_at < '2024-09-01'")
    assert wait_bad < wait_before


def test_weekly_and_yearly_seasonality(story):
    con = _connect(story[0])
    by_dow = dict(con.execute("""select isodow(started_at + interval 1 hour), count(*) from calls
        where market_code = 'PL' and direction = 'inbound' and outcome <> 'voicemail' group by 1""").fetchall())
    assert by_dow[1] > by_dow[3] > by_dow.get(7, 0)
    nov, jul = (_one(con, f"select count(*) from orders where market_code = 'PL' and month(ordered_at) = {m} "
                          "and year(ordered_at) = 2024") for m in (11, 7))
    assert nov > 1.2 * jul


# --- dirt ---------------------------------------------------------------------------------


def test_dirt_counts_match_manifest_and_rate(dirty):
    out, manifest = dirty
    con = _connect(out)
    for t in contract.TABLES:
        entry = manifest["tables"][t.path]
        assert set(entry["dirt"]) == set(applicable(t.path))
        assert entry["rows"] == entry["clean_rows"] + sum(entry["dirt"].values())
        if entry["clean_rows"] >= 5000:
            for cls, k in entry["dirt"].items():
                expected = 0.02 * entry["clean_rows"]
                if cls != "late_update":
                    assert 0.6 * expected < k < 1.4 * expected, (t.path, cls, k, expected)
    tickets = manifest["tables"]["helpdesk/tickets"]["dirt"]
    key_dupes = _one(con, "select count(*) - count(distinct ticket_id) from tickets where ticket_id is not null")
    assert key_dupes == tickets["duplicate"] + tickets["late_update"]
    identical = _one(con, "select sum(n - 1) from (select * exclude (_loaded_at), count(*) n from tickets "
                          "group by all having count(*) > 1)")
    assert identical == tickets["duplicate"]
    assert _one(con, "select count(*) from tickets where ticket_id is null") == tickets["null_key"]
    assert _one(con, "select count(*) from tickets where market_code = 'XX'") == tickets["unknown_market"]
    assert _one(con, "select count(*) from tickets where solved_at < created_at") == tickets["end_before_start"]
    assert _one(con, "select count(*) from tickets where created_at > _loaded_at") == tickets["future_timestamp"]
    calls = manifest["tables"]["telephony/calls"]["dirt"]
    assert _one(con, "select count(*) from calls where talk_seconds < 0 or queue_seconds < 0") == \
        calls["negative_duration"]
    assert _one(con, "select count(*) from calls where ended_at < started_at") == calls["end_before_start"]
    ratings = manifest["tables"]["helpdesk/satisfaction_ratings"]["dirt"]
    assert _one(con, "select count(*) from satisfaction_ratings where score not between 1 and 5") == \
        ratings["score_out_of_range"]
    events = manifest["tables"]["helpdesk/ticket_events"]["dirt"]
    orphans = _one(con, "select count(*) from ticket_events e where ticket_id is not null and not exists "
                        "(select 1 from tickets t where t.ticket_id = e.ticket_id)")
    assert orphans == events["orphan_reference"] > 0
    # late updates: the later load carries the later state
    later = _one(con, """select count(*) from (select ticket_id, arg_max(status, _loaded_at) s,
        arg_min(status, _loaded_at) first from tickets where ticket_id is not null group by 1
        having count(distinct status) > 1) where first = 'open' and s in ('solved', 'closed')""")
    assert later == tickets["late_update"] > 0


def test_dirt_zero_gives_clean_data(tmp_path):
    manifest = generate(GenerateConfig(out=tmp_path, days=20, markets=("CZ",), scale=0.3, dirt=0.0, quiet=True))
    assert all(t["rows"] == t["clean_rows"] for t in manifest["tables"].values())
    con = _connect(tmp_path)
    assert _one(con, "select count(*) from calls where talk_seconds < 0 or market_code <> 'CZ'") == 0


# --- engineering --------------------------------------------------------------------------


def test_deterministic_and_seed_sensitive(tmp_path):
    args = dict(days=40, markets=("PL",), scale=0.2, dirt=0.01, quiet=True, chunk_days=15)
    generate(GenerateConfig(out=tmp_path / "a", **args))
    generate(GenerateConfig(out=tmp_path / "b", **args))
    generate(GenerateConfig(out=tmp_path / "c", seed=7, **args))
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    a.pop("_manifest.json"), b.pop("_manifest.json"), c.pop("_manifest.json")
    assert a == b
    assert a != c
    assert len([p for p in a if p.startswith("helpdesk/tickets/")]) == 3  # 40 days in 15-day parts


def test_manifest_equal_except_out(tmp_path):
    args = dict(days=10, markets=("DE",), scale=0.2, quiet=True)
    m1 = generate(GenerateConfig(out=tmp_path / "a", **args))
    m2 = generate(GenerateConfig(out=tmp_path / "b", **args))
    m1["arguments"].pop("out"), m2["arguments"].pop("out")
    assert m1 == m2
    on_disk = json.loads((tmp_path / "a" / "_manifest.json").read_text())
    assert on_disk["total_rows"] == m1["total_rows"] and on_disk["arguments"]["markets"] == ["DE"]


def test_rerun_replaces_table_folders_only(tmp_path):
    keep = tmp_path / "notes.txt"
    keep.write_text("mine")
    stale = tmp_path / "helpdesk" / "tickets" / "part-00099.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    assert main(["generate", "--out", str(tmp_path), "--days", "5", "--markets", "HU", "--scale", "0.2",
                 "--quiet"]) == 0
    assert keep.read_text() == "mine" and not stale.exists()


def test_cli_csv_and_market_subset(tmp_path):
    assert main(["generate", "--out", str(tmp_path), "--days", "8", "--markets", "de,cz", "--scale", "0.2",
                 "--format", "csv", "--quiet"]) == 0
    files = sorted(tmp_path.rglob("part-*"))
    assert files and all(f.suffix == ".csv" for f in files)
    header = (tmp_path / "helpdesk" / "tickets" / "part-00000.csv").read_text().splitlines()[0]
    assert header.replace('"', "").split(",") == list(contract.table("helpdesk/tickets").column_names)
    con = duckdb.connect()
    markets = {r[0] for r in con.execute(f"select distinct market_code from read_csv_auto('{tmp_path}/shop/orders/"
                                         "*.csv') where market_code <> 'XX'").fetchall()}
    assert markets == {"DE", "CZ"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--markets", "RO,XX"], "unknown market"),
        (["--days", "0"], "--days"),
        (["--scale", "0"], "--scale"),
        (["--dirt", "0.7"], "--dirt"),
        (["--chunk-days", "0"], "--chunk-days"),
    ],
)
def test_cli_rejects_bad_options(tmp_path, capsys, args, message):
    assert main(["generate", "--out", str(tmp_path / "x"), "--quiet", *args]) != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_cli_rejects_bad_format_and_date(tmp_path):
    for args in (["--format", "xml"], ["--start", "2024-13-01"]):
        with pytest.raises(SystemExit) as exc:
            main(["generate", "--out", str(tmp_path), *args])
        assert exc.value.code != 0


def test_rows_grow_linearly_with_scale(tmp_path):
    rows = {}
    for scale in (0.25, 1.0):
        m = generate(GenerateConfig(out=tmp_path / str(scale), days=30, markets=("HU",), scale=scale, dirt=0,
                                    quiet=True))
        rows[scale] = m["total_rows"] - m["tables"]["workforce/agents"]["rows"]
    assert 3.4 < rows[1.0] / rows[0.25] < 4.6


def test_clean_rows_are_loaded_after_they_happen(story):
    con = _connect(story[0])
    for t in contract.TABLES:
        for col in t.columns:
            if col.name == "_loaded_at" or col.type not in ("timestamp", "date"):
                continue
            late = _one(con, f"select count(*) from {t.name} where {col.name} > _loaded_at")
            assert late == 0, (t.path, col.name)
    hours = {r[0] for r in con.execute("select distinct hour(_loaded_at) from tickets").fetchall()}
    assert hours <= {1, 2}  # nightly loads


def test_pii_and_text_columns_look_plausible(story):
    con = _connect(story[0])
    assert _one(con, "select count(*) from customers where not regexp_matches(email, '^c[0-9]+@example.com$') "
                     "or not (phone like '+40%' or phone like '+48%')") == 0
    assert _one(con, "select count(*) from tickets where market_code = 'RO' and subject = 'Is this shop real?' "
                     "and created_at < '2024-06-01'") > 0
    teams = {r[0] for r in con.execute("select distinct team from agents").fetchall()}
    assert {"RO Phone", "RO Digital", "RO Escalations", "PL Phone"} <= teams
    assert _one(con, "select count(*) from agents where left_on is not null") > 0


def test_custom_scenarios_file(tmp_path):
    base = dict(start=date(2024, 1, 1), days=20, markets=("DE",), scale=0.3, dirt=0.0, quiet=True)
    plain = generate(GenerateConfig(out=tmp_path / "plain", **base))
    file = tmp_path / "mine.toml"
    file.write_text('[[scenario]]\nname = "de_sale"\nmarket = "DE"\nstart = 2024-01-01\n'
                    "[scenario.effects]\norder_volume_multiplier = 2.0\n")
    sale = generate(GenerateConfig(out=tmp_path / "sale", scenarios=file, **base))
    assert sale["scenarios"] == ["de_sale"]
    ratio = sale["tables"]["shop/orders"]["rows"] / plain["tables"]["shop/orders"]["rows"]
    assert 1.7 < ratio < 2.3
    file.write_text('[[scenario]]\nname = "x"\nmarket = "DE"\nstart = 2024-01-01\n[scenario.effects]\nfoo = 1\n')
    assert main(["generate", "--out", str(tmp_path / "bad"), "--scenarios", str(file), "--quiet"]) == 2
