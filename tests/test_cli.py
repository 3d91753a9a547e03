"""The CLI wiring, dbt argument building and the terminal KPI report."""

from __future__ import annotations

import json

import duckdb
import pytest

from cskpi import kpis
from cskpi.cli import build_parser, main
from cskpi.dbt_args import dbt_build_args, parse_vars
from cskpi.report import SUMMARY_KPIS, report


def test_every_command_is_registered():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"generate", "build", "run", "publish", "rollback", "report", "load"} <= set(sub.choices)
    # `run` comes from the orchestration through the cskpi.commands entry point, in its usual place
    assert list(sub.choices)[:3] == ["generate", "build", "run"]
    assert sub.choices["run"].get_default("func").__module__ == "orchestration.cli"


def test_build_args_are_pure_and_complete():
    assert dbt_build_args() == ["build"]
    assert dbt_build_args(select="staging+", full_refresh=True, vars=parse_vars('{"fcr_window_days": 3}')) == [
        "build",
        "--full-refresh",
        "--vars",
        json.dumps({"fcr_window_days": 3}, separators=(",", ":")),
        "--select",
        "staging+",
    ]
    with pytest.raises(ValueError, match="JSON object"):
        parse_vars("{not json")


def test_build_refuses_bad_vars_without_a_traceback(capsys):
    assert main(["build", "--vars", "{not json"]) == 2
    err = capsys.readouterr().err
    assert "--vars must be a JSON object" in err and "Traceback" not in err


def test_publish_is_disabled_on_spark_with_the_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CSKPI_TARGET", "spark")
    monkeypatch.setenv("CSKPI_SERVING_DIR", str(tmp_path / "serving"))
    assert main(["publish"]) == 1
    assert "publish is disabled on the spark target" in capsys.readouterr().err
    assert not (tmp_path / "serving" / "current").exists()


def _kpi_db(path):
    con = duckdb.connect(str(path))
    con.execute(
        """create table kpi_metrics (period_grain varchar, period_start date, market_code varchar, channel varchar,
           kpi_code varchar, numerator double, denominator double, value double, unit varchar, target double,
           meets_target boolean)"""
    )
    rows = [
        ("month", "2024-09-01", "PL", "all", "csat", 70, 100, 70.0, "percent", 85, False),
        ("month", "2024-10-01", "PL", "all", "csat", 66, 100, 66.0, "percent", 85, False),
        ("month", "2024-10-01", "PL", "all", "service_level", 95, 100, 95.0, "percent", 80, True),
        ("month", "2024-10-01", "RO", "all", "csat", 88, 100, 88.0, "percent", 85, True),
        ("day", "2024-10-05", "RO", "all", "csat", 1, 1, 100.0, "percent", 85, True),
    ]
    con.executemany("insert into kpi_metrics values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


def test_report_shows_latest_month_targets_and_change(tmp_path):
    db = tmp_path / "w.duckdb"
    _kpi_db(db)
    text = report(db)
    assert "2024-10" in text
    names = {code: kpis.catalogue().kpi(code).name for code in SUMMARY_KPIS}
    csat = next(line for line in text.splitlines() if line.startswith(names["csat"]))
    assert "66.0%*" in csat and "-4.0 pp" in csat  # misses target, down 4 points on September
    assert "88.0%" in csat
    assert all(name in text for name in names.values())


def test_report_filters_market_and_month(tmp_path):
    db = tmp_path / "w.duckdb"
    _kpi_db(db)
    text = report(db, month="2024-09", market="PL")
    header = next(line for line in text.splitlines() if line.startswith("KPI  "))  # the table header
    assert "PL" in header and "RO" not in header
    with pytest.raises(LookupError, match="no KPI rows"):
        report(db, month="2023-01")


def test_report_cli_errors_are_actionable(tmp_path, capsys):
    assert main(["report", "--database", str(tmp_path / "missing.duckdb")]) == 1
    assert "make run" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["report", "--month", "2024-13"])


def _diagnostics_db(path):
    _kpi_db(path)
    con = duckdb.connect(str(path))
    con.execute(
        """create table kpi_diagnostics (period_grain varchar, period_start date, market_code varchar,
           rule_code varchar, title varchar, severity varchar, explanation varchar, evidence varchar,
           recommended_actions varchar, first_action varchar, conditions_count integer, source_case varchar)"""
    )
    evidence = "avg_speed_of_answer=4s (target 20s, met); repeat_contact_rate=23.7% (target 15.0%, missed)"
    rows = [
        (
            "month",
            "2024-10-01",
            "PL",
            "internal_escalation_bottleneck",
            "Internal escalation bottleneck",
            "high",
            "x",
            evidence,
            "Map the escalation paths|Agree internal SLAs",
            "Map the escalation paths",
            2,
            "poland",
        ),
        (
            "week",
            "2024-10-07",
            "PL",
            "internal_escalation_bottleneck",
            "Weekly only",
            "high",
            "x",
            "weekly",
            "a|b",
            "a",
            2,
            "poland",
        ),
        (
            "month",
            "2024-10-01",
            "RO",
            "understaffed_queue",
            "Understaffed phone queue",
            "high",
            "x",
            "service_level[phone]=70.0%",
            "Add agents|Offer callbacks",
            "Add agents",
            2,
            "guide",
        ),
    ]
    con.executemany("insert into kpi_diagnostics values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


def test_report_prints_monthly_diagnostics_after_the_kpi_table(tmp_path):
    db = tmp_path / "w.duckdb"
    _diagnostics_db(db)
    text = report(db, month="2024-10", market="PL")
    kpi_part, _, diag_part = text.partition("Diagnostics for 2024-10")
    assert "Customer satisfaction (CSAT)" in kpi_part and diag_part  # diagnostics come after the KPI table
    assert "Internal escalation bottleneck" in diag_part
    assert "repeat_contact_rate=23.7% (target 15.0%, missed)" in diag_part
    assert "Map the escalation paths" in diag_part and "Agree internal SLAs" not in diag_part  # first action only
    assert "Weekly only" not in diag_part  # monthly findings only
    assert "Understaffed" not in diag_part  # --market filter
    assert "Understaffed phone queue" in report(db, month="2024-10")


def test_report_without_findings_or_without_diagnostics_table(tmp_path):
    db = tmp_path / "w.duckdb"
    _diagnostics_db(db)
    assert "no diagnostic rule fired" in report(db, month="2024-09")
    old = tmp_path / "old.duckdb"
    _kpi_db(old)  # a database built before kpi_diagnostics existed
    text = report(old, month="2024-10")
    assert "Customer satisfaction (CSAT)" in text and "Diagnostics" not in text


def test_report_cli_prints_diagnostics(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    _diagnostics_db(db)
    assert main(["report", "--database", str(db), "--market", "PL", "--month", "2024-10"]) == 0
    out = capsys.readouterr().out
    assert "Internal escalation bottleneck" in out and "action:   Map the escalation paths" in out


def test_default_month_skips_a_thin_trailing_month(tmp_path):
    from cskpi.report import latest_month

    db = tmp_path / "w.duckdb"
    _kpi_db(db)
    con = duckdb.connect(str(db))
    rows = [
        ("month", "2024-09-01", "PL", "all", "pre_sales_share", 10, 900, 1.1, "percent", 15, True),
        ("month", "2024-10-01", "PL", "all", "pre_sales_share", 10, 1000, 1.0, "percent", 15, True),
        ("month", "2024-11-01", "PL", "all", "pre_sales_share", 0, 12, 0.0, "percent", 15, True),
    ]
    con.executemany("insert into kpi_metrics values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    assert latest_month(con) == "2024-10"
    con.close()


def test_every_command_fails_with_one_line_and_an_exit_code(tmp_path, capsys):
    """A broken database file: one line naming the command and the error; -v adds the traceback."""
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a duckdb file" * 200)
    assert main(["report", "--database", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cskpi report: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "cskpi -v shows the traceback" in err
    assert main(["-v", "report", "--database", str(broken)]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_database_held_by_another_process_exits_3(tmp_path, capsys):
    import subprocess
    import sys

    held = tmp_path / "held.duckdb"
    script = "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\ntime.sleep(60)\n"
    holder = subprocess.Popen([sys.executable, "-c", script, str(held)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["report", "--database", str(held)]) == 3
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert err.startswith("cskpi report: IOException") and len(err.strip().splitlines()) == 1
    assert f"is held by another process (PID {holder.pid}" in err
