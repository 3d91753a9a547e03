"""Customer-service KPI dashboard (Streamlit): ``make dashboard``.

Reads the published serving database read-only ($CSKPI_SERVING_DIR, default
data/serving, file current/cskpi.duckdb): per market KPI tiles against targets with the
change on the previous period, trend charts per KPI with the target line, and the
diagnostics ("KPIs read together") with their evidence and recommended actions.
Filters: market, channel, period grain and range. Query parameters (market, channel,
grain, start, end as YYYY-MM-DD) preset the filters, e.g. ``?market=PL&end=2024-10-01``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # `streamlit run dashboard/app.py` puts only dashboard/ on the path
    sys.path.insert(0, str(_ROOT))

import duckdb  # noqa: E402
import streamlit as st  # noqa: E402

from cskpi.formatting import format_change, format_period, format_value, target_caption  # noqa: E402
from cskpi.kpis import catalogue  # noqa: E402
from dashboard import charts, data  # noqa: E402

# Tiles and charts in reading order (the rest of the KPIs follow alphabetically).
KPI_ORDER: tuple[str, ...] = (
    "service_level",
    "avg_speed_of_answer",
    "call_abandonment_rate",
    "first_contact_resolution",
    "repeat_contact_rate",
    "csat",
    "nps",
    "ces",
    "first_response_time",
    "escalation_rate",
    "pre_sales_share",
    "interactions_per_order",
    "aht",
    "aht_agent",
    "avg_call_duration",
    "avg_response_time",
    "avg_resolution_time",
    "ticket_resolution_rate",
    "reopen_rate",
    "esat",
    "cost_per_interaction",
    "cost_per_resolution",
    "churn_rate",
)
DEFAULT_TREND_KPIS: tuple[str, ...] = (
    "avg_speed_of_answer",
    "repeat_contact_rate",
    "csat",
    "first_contact_resolution",
    "pre_sales_share",
    "interactions_per_order",
    "service_level",
    "call_abandonment_rate",
)
DEFAULT_RANGE = {"month": 15, "week": 26, "day": 60}
SEVERITY_COLOR = {"high": "red", "medium": "orange", "low": "gray"}
TILES_PER_ROW = 4


def _order(codes: list[str]) -> list[str]:
    """Reading order; a KPI's twins (business hours, SLA: twin_of in the catalogue) right after it."""
    rank = {c: i for i, c in enumerate(KPI_ORDER)}
    present = set(codes)
    ordered = catalogue().with_twins(sorted(codes, key=lambda c: (rank.get(c, len(rank)), c)))
    return [c for c in ordered if c in present]


def _param_date(name: str) -> dt.date | None:
    raw = st.query_params.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _nearest(options: list[dt.date], wanted: dt.date | None, fallback: dt.date) -> dt.date:
    if wanted is None:
        return fallback
    earlier = [o for o in options if o <= wanted]
    return earlier[-1] if earlier else options[0]


def sidebar_filters(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    st.sidebar.header("Filters")
    markets = data.markets(con)
    if not markets:
        st.info("The published database has no KPI rows yet.")
        return None
    qp_market = st.query_params.get("market")
    market = st.sidebar.selectbox(
        "Market", markets, index=markets.index(qp_market) if qp_market in markets else 0, key="market"
    )
    channels = data.channels(con)
    qp_channel = st.query_params.get("channel")
    channel = st.sidebar.selectbox(
        "Channel", channels, index=channels.index(qp_channel) if qp_channel in channels else 0, key="channel"
    )
    qp_grain = st.query_params.get("grain")
    grain = st.sidebar.radio(
        "Period grain",
        list(data.GRAINS),
        index=data.GRAINS.index(qp_grain) if qp_grain in data.GRAINS else 0,
        horizontal=True,
        key="grain",
    )
    periods = data.period_starts(con, grain, market)
    if not periods:
        st.info(f"No {grain} KPI values for {market} in the published data; choose another grain or market.")
        return None
    end = _nearest(periods, _param_date("end"), periods[-1])
    default_start = periods[max(0, periods.index(end) - DEFAULT_RANGE[grain] + 1)]
    start = _nearest(periods, _param_date("start"), default_start)
    if start > end:
        start = end
    if len(periods) > 1:
        start, end = st.sidebar.select_slider(
            "Period range (tiles show the last period)",
            options=periods,
            value=(start, end),
            format_func=lambda d: format_period(grain, d),
            key=f"range_{grain}",
        )
    return {"market": market, "channel": channel, "grain": grain, "start": start, "end": end}


def period_findings(con: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    """Alerts for the findings of the selected market and last period (shown above the tabs)."""
    st.subheader(f"{f['market']} · {format_period(f['grain'], f['end'])} · channel {f['channel']}")
    if f["grain"] not in data.DIAGNOSTIC_GRAINS or not data.diagnostics_available(con):
        return
    findings = data.diagnostics(con, f["grain"], f["end"], f["end"], f["market"])
    for finding in findings:
        st.error(
            f"**{finding['title']}** ({finding['severity']}): {finding['evidence']}  \n"
            f"First action: {finding['first_action']} — details in the Diagnostics tab",
            icon=":material/troubleshoot:",
        )
    if not findings:
        st.success("No diagnostic rule fired for this market and period.", icon=":material/check_circle:")


def overview(con: duckdb.DuckDBPyConnection, f: dict[str, Any], definitions: dict[str, dict[str, Any]]) -> None:
    tiles = {t["kpi_code"]: t for t in data.kpi_tiles(con, f["grain"], f["end"], f["market"], f["channel"])}
    if not tiles:
        st.info("No KPI values for this market, channel and period.")
        return
    codes = _order(list(tiles))
    for row_start in range(0, len(codes), TILES_PER_ROW):
        cols = st.columns(TILES_PER_ROW)
        for col, code in zip(cols, codes[row_start : row_start + TILES_PER_ROW], strict=False):
            tile = tiles[code]
            definition = definitions.get(code, {})
            with col:
                st.metric(
                    definition.get("name", code),
                    format_value(tile["value"], tile["unit"]),
                    delta=None if tile["change"] is None else format_change(tile["change"], tile["unit"]),
                    delta_color="normal" if definition.get("higher_is_better", True) else "inverse",
                    help=definition.get("formula"),
                    border=True,
                )
                color = {True: "green", False: "red"}.get(tile["meets_target"], "gray")
                caption = target_caption(tile["target"], tile["meets_target"], tile["unit"])
                st.caption(f":{color}[{caption}] · change vs previous {f['grain']}")


def trends(con: duckdb.DuckDBPyConnection, f: dict[str, Any], definitions: dict[str, dict[str, Any]]) -> None:
    df = data.kpi_trend(con, f["grain"], f["start"], f["end"], f["market"], f["channel"])
    if df.empty:
        st.info("No KPI values for this market, channel and range.")
        return
    available = _order(sorted(df["kpi_code"].unique()))
    chosen = st.multiselect(
        "KPIs",
        available,
        default=[k for k in DEFAULT_TREND_KPIS if k in available],
        format_func=lambda c: definitions.get(c, {}).get("name", c),
        key="trend_kpis",
    )
    # Periods where a diagnostic finding used the KPI are shaded.
    used: dict[str, list[dt.date]] = {}
    if f["grain"] in data.DIAGNOSTIC_GRAINS:
        for finding in data.diagnostics(con, f["grain"], f["start"], f["end"], f["market"]):
            for ev in finding["evidence_rows"]:
                if ev.get("kpi_code"):
                    used.setdefault(ev["kpi_code"], []).append(finding["period_start"])
    st.caption("Dashed red line: target. Red points miss the target. Orange bands: a diagnostic finding used the KPI.")
    for row_start in range(0, len(chosen), 2):
        cols = st.columns(2)
        for col, code in zip(cols, chosen[row_start : row_start + 2], strict=False):
            kpi_df = df[df["kpi_code"] == code]
            unit = str(kpi_df["unit"].iloc[0]) if not kpi_df.empty else ""
            title = definitions.get(code, {}).get("name", code)
            with col:
                st.altair_chart(charts.kpi_trend_chart(kpi_df, title, unit, used.get(code)), width="stretch")


def diagnostics_page(con: duckdb.DuckDBPyConnection, f: dict[str, Any]) -> None:
    if not data.diagnostics_available(con):
        st.info("This published version has no kpi_diagnostics table yet; rebuild and publish to see diagnostics.")
        return
    grain = f["grain"]
    if grain not in data.DIAGNOSTIC_GRAINS:
        st.info("Diagnostics are evaluated per week and month; showing monthly findings for the range.")
        grain = "month"
    all_markets = st.checkbox("All markets", value=False, key="diag_all_markets")
    market = None if all_markets else f["market"]
    findings = data.diagnostics(con, grain, f["start"], f["end"], market)
    where = "all markets" if market is None else market
    st.markdown(
        f"**{len(findings)}** finding(s) for {where}, "
        f"{format_period(grain, f['start'])} – {format_period(grain, f['end'])}. "
        "A rule fires when all of its conditions hold; rules are data (seeds/diagnostic_rules*.csv)."
    )
    for finding in findings:
        with st.container(border=True):
            color = SEVERITY_COLOR.get(finding["severity"], "gray")
            st.markdown(
                f"#### {finding['title']} :{color}-badge[{finding['severity']}]  \n"
                f"**{finding['market_code']}** · {format_period(grain, finding['period_start'])} · "
                f"severity {finding['severity']} · `{finding['rule_code']}`"
            )
            st.markdown(finding["explanation"])
            st.markdown("**Evidence**")
            st.table(
                [
                    {
                        "KPI": ev.get("kpi_code", ""),
                        "value": format_value(ev.get("value"), ev.get("unit", "")) if "value" in ev else "",
                        "target": format_value(ev.get("target"), ev.get("unit", ""))
                        if ev.get("target") is not None
                        else "",
                        "evidence": ev["evidence_text"],
                    }
                    for ev in finding["evidence_rows"]
                ]
            )
            st.markdown(
                "**Recommended actions**\n\n" + "\n".join(f"{i}. {a}" for i, a in enumerate(finding["actions"], 1))
            )


def main() -> None:
    st.set_page_config(page_title="Customer service KPIs", page_icon=":material/support_agent:", layout="wide")
    st.title("Customer service KPIs")
    database = data.serving_database()
    try:
        con = data.connect(database)
    except data.NotPublishedError as exc:
        st.warning(f"Nothing to show yet. {exc}.")
        st.caption("Set CSKPI_SERVING_DIR if the marts are published elsewhere.")
        return
    try:
        info = data.serving_info(con)
        if info:
            st.caption(
                f"Published version: run {info.get('run_id', '?')}, built {info.get('built_at', '?')} · {database}"
            )
        filters = sidebar_filters(con)
        if filters is None:
            return
        definitions = data.kpi_definitions(con)
        period_findings(con, filters)
        tab_overview, tab_trends, tab_diagnostics = st.tabs(["Overview", "Trends", "Diagnostics"])
        with tab_overview:
            overview(con, filters, definitions)
        with tab_trends:
            trends(con, filters, definitions)
        with tab_diagnostics:
            diagnostics_page(con, filters)
    finally:
        con.close()


main()
