"""Altair charts of the dashboard (pure: DataFrame in, chart out)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cskpi.formatting import unit_label


def kpi_trend_chart(df: pd.DataFrame, title: str, unit: str, highlight: list | None = None) -> alt.LayerChart:
    """Line of the KPI per period, a dashed target line, red points where the target is missed
    and shaded periods where a diagnostic finding fired (``highlight``: period starts)."""
    data = df.assign(
        status=df["meets_target"].map({True: "met", False: "missed"}).fillna("no target"),
        period=pd.to_datetime(df["period_start"]),
    )
    axis_title = unit_label(unit)
    base = alt.Chart(data).encode(x=alt.X("period:T", title=None))
    line = base.mark_line(color="#1f77b4").encode(
        y=alt.Y("value:Q", title=axis_title, scale=alt.Scale(zero=False)),
        tooltip=[
            alt.Tooltip("period:T", title="period"),
            alt.Tooltip("value:Q", format=".2f"),
            alt.Tooltip("target:Q", format=".2f"),
            "status:N",
        ],
    )
    points = base.mark_point(filled=True, size=45).encode(
        y="value:Q",
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=["met", "missed", "no target"], range=["#2ca02c", "#d62728", "#7f7f7f"]),
            legend=None,
        ),
        tooltip=[alt.Tooltip("period:T", title="period"), alt.Tooltip("value:Q", format=".2f"), "status:N"],
    )
    layers: list[alt.Chart] = []
    if highlight:
        marks = pd.DataFrame({"period": pd.to_datetime(pd.Series(highlight))})
        layers.append(alt.Chart(marks).mark_rule(color="#ff7f0e", opacity=0.35, strokeWidth=8).encode(x="period:T"))
    layers += [line, points]
    if data["target"].notna().any():
        target = base.mark_line(strokeDash=[6, 4], color="#d62728").encode(y="target:Q")
        layers.append(target)
    return alt.layer(*layers).properties(title=title, height=220)
