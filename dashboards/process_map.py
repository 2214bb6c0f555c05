"""The process map as Graphviz DOT: the most frequent activities and paths, edges coloured by their median wait.

Pure: frames of `marts.dfg` and `marts.dfg_endpoints` in, DOT text out (the browser draws it).
"""

from __future__ import annotations

import math

import pandas as pd

from dashboards.data import K
from dashboards.format import duration, number


def process_map(
    dfg: pd.DataFrame, ends: pd.DataFrame, activity_share: float, path_share: float, performance: bool, lang: str
) -> tuple[str, pd.DataFrame]:
    """Graphviz DOT of the process map: the most frequent activities (`activity_share` of them) and paths
    (`path_share` of the edges between them, each kept activity keeping its busiest way in and out, as Disco
    does), edges labelled by their median wait (`performance`) or their count and coloured by their median wait;
    the edges shown."""
    dfg = dfg[dfg["n_cases"] >= K]
    starts = ends[ends["endpoint"] == "start"].set_index("activity")["n_cases"]
    freq = dfg.groupby("target_activity")["n_transitions"].sum().add(starts, fill_value=0).sort_values(ascending=False)
    keep = set(freq.index[: max(1, math.ceil(activity_share * len(freq)))])
    inner = dfg[dfg["source_activity"].isin(keep) & dfg["target_activity"].isin(keep)]
    inner = inner.sort_values("n_transitions", ascending=False)
    shown = inner.head(max(1, math.ceil(path_share * len(inner)))) if len(inner) else inner
    backbone = pd.concat([inner.groupby("source_activity").head(1), inner.groupby("target_activity").head(1)])
    shown = pd.concat([shown, backbone]).drop_duplicates(["source_activity", "target_activity"])
    top = shown["median_wait_seconds"].max() if len(shown) else 0
    lines = [
        "digraph {",
        'rankdir="TB"',
        'node [shape=box style="rounded,filled" fillcolor="#e8f0fb" fontname="Helvetica"]',
        'edge [fontname="Helvetica" fontsize=10]',
    ]
    for activity in sorted(keep):
        label = f"{activity}\\n{number(freq[activity], lang, 0)}"
        lines.append(f'"{_quoted(activity)}" [label="{_quoted(label)}"]')
    max_n = shown["n_transitions"].max() if len(shown) else 1
    for row in shown.itertuples():
        label = duration(row.median_wait_seconds, lang) if performance else number(row.n_transitions, lang, 0)
        width = 1 + 4 * row.n_transitions / max_n
        lines.append(
            f'"{_quoted(row.source_activity)}" -> "{_quoted(row.target_activity)}" '
            f'[label="{_quoted(label)}" penwidth={width:.1f} '
            f'color="{_edge_colour(row.median_wait_seconds, top)}"]'
        )
    lines.append("}")
    return "\n".join(lines), shown


def _edge_colour(value: float, top: float) -> str:
    """Grey (no wait) to red (the longest wait shown)."""
    share = 0.0 if not top or value is None or math.isnan(value) else max(0.0, min(1.0, value / top))
    red, green, blue = int(150 + 105 * share), int(150 - 130 * share), int(150 - 130 * share)
    return f"#{red:02x}{green:02x}{blue:02x}"


def _quoted(text: object) -> str:
    """`text` for inside a DOT string."""
    return str(text).replace('"', '\\"')
