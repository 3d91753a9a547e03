"""`cskpi report` for people and scripts: the shared formatter (cskpi/formatting.py), each
--format parsed back, and the report of a built warehouse."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from cskpi import formatting, kpis
from cskpi.cli import main
from cskpi.formatting import (
    NA,
    TARGET_LEGEND,
    format_change,
    format_duration,
    format_value,
    target_caption,
    target_mark,
    target_status,
)
from cskpi.report import SUMMARY_KPIS, kpi_codes, report
from cskpi.report_formats import COLUMNS, FINDING_COLUMNS, FORMATS

# --------------------------------------------------------------------------- the formatter


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "0 s"),
        (0.4, "0 s"),
        (2.5, "3 s"),  # half up, not half to even
        (42.4, "42 s"),
        (59.4, "59 s"),
        (59.6, "1 min"),  # the tier is chosen after rounding
        (60, "1 min"),
        (252, "4 min 12 s"),
        (3569, "59 min 29 s"),
        (3599.6, "1 h"),
        (3660, "1 h 1 min"),
        (12960, "3 h 36 min"),
        (12990, "3 h 37 min"),  # 216.5 min
        (86369, "23 h 59 min"),
        (86370, "1 d"),
        (90000, "1 d 1 h"),
        (187200, "2 d 4 h"),
        (30 * 86400, "30 d"),
    ],
)
def test_durations_read_as_people_say_them(seconds, expected):
    assert format_duration(seconds) == expected
    assert format_value(seconds, "seconds") == expected


def test_signed_durations_for_changes():
    assert format_duration(-480, signed=True) == "-8 min"
    assert format_duration(252, signed=True) == "+4 min 12 s"
    assert format_duration(-12960) == "-3 h 36 min"
    assert format_duration(0, signed=True) == "0 s"
    assert format_duration(-0.3, signed=True) == "0 s"  # no "-0 s"


def test_values_in_the_format_of_their_unit():
    assert format_value(23.74, "percent") == "23.7%"
    assert format_value(1234.5, "eur") == "€1,234.50"
    assert format_value(0.236, "ratio") == "0.24"
    assert format_value(-12.0, "score") == "-12.0"
    assert format_value(3.0, "no_such_unit") == "3.0"
    for unit in ("percent", "seconds", "eur", "ratio", "score", "no_such_unit"):
        assert format_value(None, unit) == NA == "n/a"


def test_changes_in_the_unit_of_the_kpi():
    assert format_change(1.43, "percent") == "+1.4 pp"
    assert format_change(-1.66, "percent") == "-1.7 pp"
    assert format_change(-0.04, "percent") == "+0.0 pp"  # rounds to zero: no minus sign
    assert format_change(-480, "seconds") == "-8 min"
    assert format_change(30, "seconds") == "+30 s"
    assert format_change(0.0, "seconds") == "0 s"
    assert format_change(-0.5, "eur") == "-0.50 €"
    assert format_change(0.12, "ratio") == "+0.12"
    assert format_change(-3.0, "score") == "-3.0"
    assert format_change(2.0, "no_such_unit") == "+2.0"
    for unit in ("percent", "seconds", "eur", "ratio", "score"):
        assert format_change(None, unit) == NA


def test_target_marker_status_and_caption():
    assert (target_mark(False), target_mark(True), target_mark(None)) == ("*", "", "")
    assert target_status(85.0, False) == "missed"
    assert target_status(85.0, True) == "met"
    assert target_status(85.0, None) == "no value"
    assert target_status(None, None) == "no target"
    assert target_caption(85.0, False, "percent") == "target 85.0% · missed"
    assert target_caption(20.0, True, "seconds") == "target 20 s · met"
    assert target_caption(None, None, "ratio") == "no target"
    assert TARGET_LEGEND[0].startswith("* ") and TARGET_LEGEND[1].startswith("n/a: ")


def test_unit_labels_come_from_the_catalogue():
    assert {code: formatting.unit_label(code) for code in kpis.catalogue().units} == {
        code: unit.label for code, unit in kpis.catalogue().units.items()
    }
    assert formatting.unit_label("eur") == "EUR" and formatting.unit_label("no_such_unit") == "no_such_unit"


def test_formats_come_from_the_catalogue(monkeypatch):
    # The formatter types no unit format of its own: change the catalogue and the output follows.
    cat = kpis.catalogue()
    percent = replace(cat.units["percent"], format="{:.2f} %", change_format="{:+.2f} points")
    seconds = replace(cat.units["seconds"], format="{:.0f} sec", change_format="{:+.0f} sec")
    changed = replace(cat, units={**cat.units, "percent": percent, "seconds": seconds})
    monkeypatch.setattr(formatting, "catalogue", lambda: changed)
    assert format_value(23.744, "percent") == "23.74 %"
    assert format_change(-1.666, "percent") == "-1.67 points"
    assert format_value(12960, "seconds") == "12960 sec"
    assert format_change(-480, "seconds") == "-480 sec"


# --------------------------------------------------------------------------- the formats

KPI_NAMES = {k.code: k.name for k in kpis.catalogue().kpis}


def _kpi_db(path) -> None:
    """PL and RO, October 2024 against September; RO has no first_response_time and a null CSAT."""
    con = duckdb.connect(str(path))
    con.execute(
        """create table kpi_metrics (period_grain varchar, period_start date, market_code varchar, channel varchar,
           kpi_code varchar, numerator double, denominator double, value double, unit varchar,
           target decimal(18, 4), meets_target boolean)"""
    )
    rows = [
        ("month", "2024-09-01", "PL", "all", "csat", 70, 100, 70.0, "percent", 85, False),
        ("month", "2024-10-01", "PL", "all", "csat", 66, 100, 66.0, "percent", 85, False),
        ("month", "2024-09-01", "PL", "all", "first_response_time", 13440, 1, 13440.0, "seconds", 14400, True),
        ("month", "2024-10-01", "PL", "all", "first_response_time", 12960, 1, 12960.0, "seconds", 14400, True),
        ("month", "2024-10-01", "PL", "all", "pre_sales_share", 12, 100, 12.0, "percent", None, None),
        ("month", "2024-10-01", "PL", "all", "cost_per_interaction", 1, 1, 7.25, "eur", 8, True),
        ("month", "2024-09-01", "RO", "all", "csat", 88, 100, 88.0, "percent", 85, True),
        ("month", "2024-10-01", "RO", "all", "csat", None, 0, None, "percent", 85, None),
        ("month", "2024-10-01", "RO", "phone", "csat", 1, 1, 1.0, "percent", 85, False),  # not channel all
    ]
    con.executemany("insert into kpi_metrics values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute(
        """create table kpi_diagnostics (period_grain varchar, period_start date, market_code varchar,
           rule_code varchar, title varchar, severity varchar, evidence varchar, first_action varchar)"""
    )
    con.execute(
        "insert into kpi_diagnostics values ('month', '2024-10-01', 'PL', 'rule_a', 'Slow | rare', 'high',"
        " 'csat=66.0% (target 85.0%, missed)', 'Act *now*')"
    )
    con.close()


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "w.duckdb"
    _kpi_db(path)
    return path


def test_text_report_for_people(db):
    text = report(db, month="2024-10")
    lines = text.splitlines()
    assert lines[0] == "KPI summary for 2024-10, channel all (change vs 2024-09)"
    assert lines[2].split() == ["KPI", "PL", "change", "RO", "change"]
    csat = next(line for line in lines if line.startswith(KPI_NAMES["csat"]))
    assert re.search(r"66\.0%\*\s+-4\.0 pp\s+n/a\s+n/a$", csat)  # RO: null value, so no change either
    frt = next(line for line in lines if line.startswith(KPI_NAMES["first_response_time"]))
    assert re.search(r"3 h 36 min \s+-8 min\s+n/a\s+n/a$", frt)  # met: a blank instead of the marker
    cpi = next(line for line in lines if line.startswith(KPI_NAMES["cost_per_interaction"]))
    assert "€7.25" in cpi
    assert f"Legend: {TARGET_LEGEND[0]}" in text and TARGET_LEGEND[1] in text
    assert all(KPI_NAMES[code] in text for code in kpi_codes())
    assert "Diagnostics for 2024-10" in text and "Slow | rare [high]" in text


def test_csv_carries_raw_and_formatted_values(db):
    rows = list(csv.DictReader(io.StringIO(report(db, month="2024-10", fmt="csv"))))
    assert rows and list(rows[0]) == list(COLUMNS)
    assert len(rows) == 2 * len(kpi_codes())  # every market x KPI, unknown ones included
    by_key = {(r["market_code"], r["kpi_code"]): r for r in rows}
    pl_csat = by_key[("PL", "csat")]
    assert (pl_csat["value"], pl_csat["value_formatted"]) == ("66.0", "66.0%")
    assert (pl_csat["previous_value"], pl_csat["change"], pl_csat["change_formatted"]) == ("70.0", "-4.0", "-4.0 pp")
    assert (pl_csat["target"], pl_csat["meets_target"], pl_csat["target_status"]) == ("85.0", "false", "missed")
    assert pl_csat["kpi_name"] == KPI_NAMES["csat"] and pl_csat["unit"] == "percent" and pl_csat["month"] == "2024-10"
    frt = by_key[("PL", "first_response_time")]
    assert (frt["value_formatted"], frt["change"], frt["change_formatted"]) == ("3 h 36 min", "-480.0", "-8 min")
    assert frt["target_formatted"] == "4 h" and frt["meets_target"] == "true"
    ro_csat = by_key[("RO", "csat")]
    assert (ro_csat["value"], ro_csat["value_formatted"], ro_csat["change_formatted"]) == ("", "n/a", "n/a")
    assert (ro_csat["meets_target"], ro_csat["target_status"]) == ("", "no value")
    ro_frt = by_key[("RO", "first_response_time")]  # no row at all for RO
    assert (ro_frt["value"], ro_frt["value_formatted"], ro_frt["unit"]) == ("", "n/a", "seconds")
    assert by_key[("PL", "pre_sales_share")]["target_status"] == "no target"


def test_json_is_valid_and_typed(db):
    doc = json.loads(report(db, month="2024-10", fmt="json"))
    assert (doc["month"], doc["previous_month"], doc["channel"]) == ("2024-10", "2024-09", "all")
    assert doc["markets"] == ["PL", "RO"]
    assert all(list(rec) == list(COLUMNS) for rec in doc["kpis"])
    by_key = {(r["market_code"], r["kpi_code"]): r for r in doc["kpis"]}
    pl_csat = by_key[("PL", "csat")]
    assert (pl_csat["value"], pl_csat["change"], pl_csat["meets_target"]) == (66.0, -4.0, False)
    assert pl_csat["change_formatted"] == "-4.0 pp"
    ro_csat = by_key[("RO", "csat")]
    assert (ro_csat["value"], ro_csat["change"], ro_csat["meets_target"], ro_csat["value_formatted"]) == (
        None, None, None, NA
    )  # fmt: skip
    assert [list(f) for f in doc["diagnostics"]] == [list(FINDING_COLUMNS)]
    assert doc["diagnostics"][0]["title"] == "Slow | rare"


def test_json_without_a_diagnostics_table(tmp_path):
    path = tmp_path / "old.duckdb"
    _kpi_db(path)
    with duckdb.connect(str(path)) as con:
        con.execute("drop table kpi_diagnostics")
    doc = json.loads(report(path, month="2024-10", fmt="json"))
    assert doc["diagnostics"] is None
    assert "Diagnostics" not in report(path, month="2024-10", fmt="markdown")


def _md_cells(line: str) -> list[str]:
    # split on pipes that are not escaped
    assert line.startswith("|") and line.endswith("|"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def test_markdown_is_a_proper_table(db):
    text = report(db, month="2024-10", fmt="markdown")
    table = [line for line in text.splitlines() if line.startswith("|")]
    header, separator, *body = (_md_cells(line) for line in table)
    assert header == ["KPI", "PL", "change", "RO", "change"]
    assert all(re.fullmatch(r":?-{3,}:?", c) for c in separator) and len(separator) == len(header)
    assert all(len(row) == len(header) for row in body)
    assert [row[0] for row in body] == [KPI_NAMES[c] for c in kpi_codes()]
    csat = next(row for row in body if row[0] == KPI_NAMES["csat"])
    assert csat == [KPI_NAMES["csat"], r"66.0%\*", "-4.0 pp", "n/a", "n/a"]  # * escaped: no emphasis
    # the table is one block: a blank line before it, none inside it
    lines = text.splitlines()
    first = lines.index(table[0])
    assert lines[first - 1] == "" and lines[first : first + len(table)] == table
    assert r"\* after a value" in text and "n/a: unknown" in text
    assert r"Slow \| rare" in text and r"Act \*now\*" in text  # a finding's | and * do not break markdown


def test_twins_follow_the_kpi_they_are_a_view_of():
    # the business-hours and SLA views of first response time are read next to it, in catalogue order
    summary = kpi_codes()
    at = summary.index("first_response_time")
    assert summary[at : at + 3] == ("first_response_time", "first_response_time_business", "sla_attainment_first_reply")
    assert [c for c in summary if c not in ("first_response_time_business", "sla_attainment_first_reply")] == list(
        SUMMARY_KPIS
    )
    every = kpi_codes(all_kpis=True)
    at = every.index("avg_resolution_time")
    assert every[at : at + 3] == ("avg_resolution_time", "avg_resolution_time_business", "sla_attainment_resolution")
    # twins listed before their KPI still move behind it; unknown codes pass through
    cat = kpis.catalogue()
    assert cat.with_twins(["sla_attainment_first_reply", "csat", "first_response_time", "old_kpi"]) == (
        "csat", "first_response_time", "first_response_time_business", "sla_attainment_first_reply", "old_kpi",
    )  # fmt: skip


def test_all_kpis_adds_the_rest_of_the_catalogue(db):
    assert kpi_codes(all_kpis=True)[: len(kpi_codes())] == kpi_codes()
    assert set(kpi_codes(all_kpis=True)) == set(kpis.catalogue().codes)
    rows = list(csv.DictReader(io.StringIO(report(db, month="2024-10", fmt="csv", all_kpis=True))))
    assert len(rows) == 2 * len(kpis.catalogue().codes)


def test_cli_formats(db, capsys):
    assert main(["report", "--database", str(db), "--month", "2024-10", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["month"] == "2024-10"
    assert main(["report", "--database", str(db), "--month", "2024-10", "--market", "PL", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["market_code"] for r in rows} == {"PL"}
    with pytest.raises(SystemExit):
        main(["report", "--database", str(db), "--format", "xml"])
    with pytest.raises(ValueError, match="text, markdown, csv, json"):
        report(db, month="2024-10", fmt="xml")


# --------------------------------------------------------------------------- a built warehouse


def test_report_of_a_built_warehouse_shows_na_and_the_legend(warehouse):
    built = warehouse("small_clean")
    with duckdb.connect(str(built.db), read_only=True) as con:
        (month,) = con.execute(
            "select strftime(max(period_start), '%Y-%m') from kpi_metrics where period_grain = 'month'"
        ).fetchone()
        null_kpis = {
            code
            for (code,) in con.execute(
                "select kpi_code from kpi_metrics where period_grain = 'month' and channel = 'all'"
                " and value is null and strftime(period_start, '%Y-%m') = ?",
                [month],
            ).fetchall()
        } & set(SUMMARY_KPIS)
    assert null_kpis, "the scenario is expected to leave a summary KPI without a value (e.g. no CSAT survey)"
    text = report(built.db, month=month)
    for code in null_kpis:
        line = next(line for line in text.splitlines() if line.startswith(KPI_NAMES[code]))
        assert line[len(KPI_NAMES[code]) :].split().count(NA) >= 2, line  # no value, so no change either
    assert f"Legend: {TARGET_LEGEND[0]}" in text
    doc = json.loads(report(built.db, month=month, fmt="json"))
    nulls = {r["kpi_code"] for r in doc["kpis"] if r["value"] is None and r["value_formatted"] == NA}
    assert null_kpis <= nulls


# --------------------------------------------------------------------------- README


def test_readme_documents_the_report_as_it_is():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The monthly report: `cskpi report`", 1)[1].split("\n## ", 1)[0]
    intro = "The csv columns and the keys of each `kpis` record in json are, in this order:"
    listed = re.search(re.escape(intro) + r"\n(.*?)\. ", section, re.S)
    assert listed, "README lists the csv/json columns"
    assert [c.strip() for c in listed.group(1).replace("`", "").replace("\n", " ").split(",")] == list(COLUMNS)
    assert ", ".join(FINDING_COLUMNS) in section
    assert f"Legend: {TARGET_LEGEND[0]}\n        {TARGET_LEGEND[1]}" in section
    for fmt in FORMATS:
        assert f"| `{fmt}`" in section
    # the example's rows read as the formatter writes them
    for example in ("3 h 55 min", "-21 min 20 s", "+0.2 pp", "€11.79*", "-0.15 €"):
        assert example in section
    assert format_duration(3 * 3600 + 55 * 60) == "3 h 55 min" and format_change(-1280, "seconds") == "-21 min 20 s"
