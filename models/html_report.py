"""The batch report: one self-contained HTML file that opens offline.

It only formats a :class:`~models.batch_stats.BatchStats`. Charts are matplotlib
SVGs embedded as ``data:`` images, so each keeps its own ids and nothing is
fetched. matplotlib has no CJK font on our machines, so chart axes use label ids
and agency codes (A1, A2…); the Chinese names are in the tables beside them.
"""

from __future__ import annotations

import base64
import html
import io
import shlex
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from matplotlib.figure import Figure

from models import atomic
from models.batch import DocumentRow, SegmentRow
from models.batch_stats import (
    GENERAL_FREQUENCY_MAX,
    LOW_CONFIDENCE,
    MIN_TERM_DOCUMENTS,
    NONE_LABEL,
    OTHER,
    SHIFT_FLAG,
    UNKNOWN,
    BatchStats,
    Drift,
    GroupCounts,
)
from models.schema import ENTITY_NAMES_ZH, ENTITY_TYPES, MEASURE_LABELS, MEASURE_NAMES_ZH

DOCUMENTS_MAX = 300
EXCERPT_CHARS = 160
LABEL_NAMES_ZH: dict[str, str] = {**MEASURE_NAMES_ZH, NONE_LABEL: "无"}
BATCH_COLOUR = "#2f6db5"
TRAINING_COLOUR = "#b0b7c3"

STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
  sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #1d2330; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 2px solid #dfe3ea; padding-bottom: .3rem;
  margin-top: 2.5rem; }
.meta { color: #5b6472; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { background: #f3f5f9; border-radius: 8px; padding: .8rem 1.2rem; min-width: 8rem; }
.card b { display: block; font-size: 1.6rem; }
.row { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
.row > div { flex: 1 1 420px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 1rem; }
.grid table { width: 100%; }
img.chart { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: .9rem; margin: .5rem 0; }
th, td { border: 1px solid #dfe3ea; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f5f9; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.error { color: #a4262c; }
pre { background: #1d2330; color: #f3f5f9; padding: .8rem; border-radius: 6px; overflow-x: auto; }
"""


# ---------------------------------------------------------------------------
# Small pieces


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _labels_zh(labels: Iterable[str]) -> str:
    return "、".join(LABEL_NAMES_ZH[label] for label in labels) or "—"


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], numeric: set[int]) -> str:
    """An HTML table; cells are escaped, columns in ``numeric`` right-aligned."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _chart(figure: Figure, alt: str) -> str:
    """A figure as an ``<img>`` holding its SVG; text is drawn as paths, no font needed."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="chart" alt="{_e(alt)}" src="data:image/svg+xml;base64,{data}">'


# ---------------------------------------------------------------------------
# Charts (English ids only)


def _label_chart(stats: BatchStats) -> str:
    figure = Figure(figsize=(6.5, 3.2))
    axes = figure.subplots()
    names = [c.label for c in stats.labels][::-1]
    counts = [c.segments for c in stats.labels][::-1]
    bars = axes.barh(names, counts, color=BATCH_COLOUR)
    axes.bar_label(bars, padding=3, fontsize=8)
    axes.set_xlabel("segments")
    axes.set_title("Measure types: segments per label")
    axes.spines[["top", "right"]].set_visible(False)
    return _chart(figure, "segments per measure label")


def _group_chart(groups: Sequence[GroupCounts], codes: Sequence[str], title: str) -> str:
    """A heatmap of documents per label for each group, annotated with the counts.

    The colour is the share of the group's documents, so a small agency's pattern
    shows beside a large one.
    """
    figure = Figure(figsize=(6.5, 0.45 * len(groups) + 1.4))
    axes = figure.subplots()
    counts = [[group.labels[label] for label in MEASURE_LABELS] for group in groups]
    shares = [[n / g.documents for n in row] for row, g in zip(counts, groups, strict=True)]
    axes.imshow(shares, cmap="Blues", aspect="auto", vmin=0, vmax=1)
    for y, row in enumerate(counts):
        for x, value in enumerate(row):
            colour = "white" if shares[y][x] > 0.5 else "#1d2330"
            axes.text(x, y, str(value), ha="center", va="center", fontsize=8, color=colour)
    axes.set_xticks(range(len(MEASURE_LABELS)), MEASURE_LABELS)
    axes.set_yticks(
        range(len(groups)),
        [f"{code} ({g.documents})" for code, g in zip(codes, groups, strict=True)],
    )
    axes.set_title(title)
    return _chart(figure, title)


def _drift_chart(drift: Drift) -> str:
    figure = Figure(figsize=(6.5, 3.2))
    axes = figure.subplots()
    width = 0.4
    positions = range(len(drift.shift))
    axes.bar(
        [p - width / 2 for p in positions],
        [s.training for s in drift.shift],
        width,
        label="training (gold)",
        color=TRAINING_COLOUR,
    )
    axes.bar(
        [p + width / 2 for p in positions],
        [s.batch for s in drift.shift],
        width,
        label="this batch (predicted)",
        color=BATCH_COLOUR,
    )
    axes.set_xticks(list(positions), [s.label for s in drift.shift])
    axes.set_ylabel("share of segments")
    axes.set_title("Label shift against the training data")
    axes.legend(frameon=False, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return _chart(figure, "label shares: training vs batch")


# ---------------------------------------------------------------------------
# Sections


def _summary(stats: BatchStats) -> str:
    cards = [
        ("documents", stats.documents),
        ("tagged", len(stats.tagged)),
        ("could not be read", len(stats.failed)),
        ("segments", stats.segments),
        ("low confidence", stats.low_confidence_total),
    ]
    inner = "".join(f'<div class="card"><b>{n}</b>{_e(name)}</div>' for name, n in cards)
    return f'<section id="summary"><div class="cards">{inner}</div></section>'


def _measures(stats: BatchStats) -> str:
    rows = [
        (c.label, LABEL_NAMES_ZH[c.label], c.segments, _pct(c.segment_share), c.documents)
        for c in stats.labels
    ]
    table = _table(["label", "名称", "segments", "share of segments", "documents"], rows, {2, 3, 4})
    return (
        '<section id="measures"><h2>Measure types</h2>'
        "<p>A segment can carry several labels; <code>none</code> counts segments with no "
        "label.</p>"
        f'<div class="row">{_label_chart(stats)}{table}</div></section>'
    )


def _groups(section: str, title: str, groups: Sequence[GroupCounts], coded: bool) -> str:
    """Documents per label by agency or year; agencies get ASCII codes for the chart."""
    if not groups or all(g.name == UNKNOWN for g in groups):
        return (
            f'<section id="{section}"><h2>{_e(title)}</h2>'
            "<p>No document has this field in its metadata.</p></section>"
        )
    codes = [
        g.name if not coded or g.name in (OTHER, UNKNOWN) else f"A{i}"
        for i, g in enumerate(groups, start=1)
    ]
    header = ["code", "name"] if coded else ["year"]
    rows = [
        [*([code, g.name] if coded else [g.name]), g.documents, *g.labels.values()]
        for code, g in zip(codes, groups, strict=True)
    ]
    offset = len(header)
    table = _table(
        [*header, "documents", *(LABEL_NAMES_ZH[label] for label in MEASURE_LABELS)],
        rows,
        set(range(offset, offset + 1 + len(MEASURE_LABELS))),
    )
    chart = _group_chart(groups, codes, f"{title}: documents per label")
    return (
        f'<section id="{section}"><h2>{_e(title)}</h2>'
        "<p>Documents carrying each measure type (a document carries a label when any of "
        f'its segments does), from the reply metadata.</p><div class="row">{chart}{table}</div>'
        "</section>"
    )


def _entities(stats: BatchStats) -> str:
    blocks = []
    for label in ENTITY_TYPES:
        counts = stats.entities[label]
        rows = [(c.text, c.documents, c.mentions) for c in counts]
        body = _table(["name", "documents", "mentions"], rows, {1, 2}) if rows else "<p>—</p>"
        blocks.append(f"<div><h3>{label} · {_e(ENTITY_NAMES_ZH[label])}</h3>{body}</div>")
    return (
        '<section id="entities"><h2>Named programmes, policies, platforms, funds and events</h2>'
        f'<div class="grid">{"".join(blocks)}</div></section>'
    )


def _top_scores(segment: SegmentRow, n: int = 3) -> str:
    shown = sorted(segment.scores.items(), key=lambda item: -item[1])[:n]
    return ", ".join(f"{label} {score:.2f}" for label, score in shown)


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def _review(stats: BatchStats, push_sources: Sequence[str], model: str) -> str:
    intro = (
        f"<p>{stats.low_confidence_total} segments have a confidence below {LOW_CONFIDENCE} "
        "(confidence is 0 when a label's score sits on its threshold, 1 when every label "
        "is clear-cut); the least confident are listed first.</p>"
    )
    if not stats.low_confidence:
        return f'<section id="review"><h2>Low-confidence segments</h2>{intro}</section>'
    n = min(stats.low_confidence_total, 50)
    commands = "\n".join(
        "policytag annotate push "
        + shlex.join(
            ["--source", source, "--strategy", "uncertainty", "--n", str(n), "--model", model]
        )
        for source in push_sources
    )
    rows = [
        (
            s.segment_id,
            f"{s.confidence:.2f}",
            _labels_zh(s.labels),
            _top_scores(s),
            _excerpt(s.text),
        )
        for s in stats.low_confidence
    ]
    header = ["segment", "confidence", "labels", "top scores", "text"]
    table = _table(header, rows, {1})
    return (
        '<section id="review"><h2>Low-confidence segments</h2>'
        f"{intro}<p>To have them labelled, send the most uncertain segments of these inputs "
        f"to Label Studio:</p><pre>{_e(commands)}</pre>{table}</section>"
    )


def _drift(stats: BatchStats) -> str:
    title = "<h2>Drift against the training data</h2>"
    drift = stats.drift
    if drift is None:
        return f'<section id="drift">{title}<p>No training data was found to compare with.</p></section>'
    shift_rows = []
    for s in drift.shift:
        flag = "⚠" if s.flagged else ""
        shift_rows.append(
            (
                s.label,
                LABEL_NAMES_ZH[s.label],
                _pct(s.training),
                _pct(s.batch),
                f"{100 * s.delta:+.1f}",
                flag,
            )
        )
    shift_table = _table(["label", "名称", "training", "batch", "Δ pp", ""], shift_rows, {2, 3, 4})
    flagged = [s.label for s in drift.shift if s.flagged]
    verdict = (
        f"Labels whose share moved by {100 * SHIFT_FLAG:.0f} points or more: "
        f"<b>{_e(', '.join(flagged))}</b>."
        if flagged
        else f"No label's share moved by {100 * SHIFT_FLAG:.0f} points or more."
    )
    terms = _table(["term", "documents"], ((t.term, t.documents) for t in drift.new_terms), {1})
    entities = _table(
        ["type", "name", "documents", "mentions"],
        ((c.label, c.text, c.documents, c.mentions) for c in drift.new_entities),
        {2, 3},
    )
    return (
        f'<section id="drift">{title}'
        f"<p>Compared with {drift.training_segments} training segments (the gold). Batch labels "
        "are the model's predictions and training labels are annotations, so part of any "
        f"shift is model error. Total variation distance between the label distributions: "
        f"<b>{drift.total_variation:.3f}</b> (0 = identical, 1 = disjoint). {verdict}</p>"
        f'<div class="row">{_drift_chart(drift)}{shift_table}</div>'
        '<div class="row"><div><h3>New frequent terms</h3>'
        f"<p>Words in at least {MIN_TERM_DOCUMENTS} documents that never occur in the training "
        f"text and are uncommon in general Chinese (under {GENERAL_FREQUENCY_MAX * 1e6:g} per "
        f"million in jieba's dictionary).</p>{terms}</div>"
        "<div><h3>Entity names not seen in training</h3>"
        f"<p>Predicted names that no gold entity has.</p>{entities}</div></div></section>"
    )


def _errors(failed: Sequence[DocumentRow]) -> str:
    if not failed:
        return ""
    rows = [(d.source, d.error) for d in failed]
    return (
        '<section id="errors"><h2 class="error">Files that could not be read</h2>'
        f"{_table(['source', 'problem'], rows, set())}</section>"
    )


def _documents(documents: Sequence[DocumentRow]) -> str:
    shown = documents[:DOCUMENTS_MAX]
    rows = [
        (
            d.doc_id,
            d.source,
            d.segment_count,
            _labels_zh(d.labels),
            d.entity_count,
            d.metadata.agency or "—",
            d.metadata.date or "—",
            "—" if d.min_confidence is None else f"{d.min_confidence:.2f}",
        )
        for d in shown
    ]
    more = (
        f"<p>The first {DOCUMENTS_MAX} of {len(documents)} documents; the output's "
        "documents file lists them all.</p>"
        if len(documents) > DOCUMENTS_MAX
        else ""
    )
    header = [
        "document",
        "source",
        "segments",
        "labels",
        "entities",
        "agency",
        "date",
        "min confidence",
    ]
    return (
        '<section id="documents"><h2>Documents</h2>'
        f"{more}{_table(header, rows, {2, 4, 7})}</section>"
    )


# ---------------------------------------------------------------------------
# The page


def render_html(
    stats: BatchStats,
    inputs: Sequence[str],
    push_sources: Sequence[str],
    model: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> str:
    """The whole report page."""
    models = ", ".join(stats.models) or model
    meta = (
        f"Generated {now():%Y-%m-%d %H:%M} UTC by <code>policytag tag</code> with model "
        f"<code>{_e(models)}</code> from {_e(', '.join(inputs))}."
    )
    sections = [
        _summary(stats),
        _measures(stats),
        _groups("agencies", "By agency", stats.agencies, coded=True),
        _groups("years", "By year", stats.years, coded=False),
        _entities(stats),
        _review(stats, push_sources, model),
        _drift(stats),
        _errors(stats.failed),
        _documents(stats.tagged),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>policytag batch report</title>"
        f"<style>{STYLE}</style></head><body><h1>Batch tagging report</h1>"
        f'<p class="meta">{meta}</p>{"".join(sections)}</body></html>\n'
    )


def write_html_report(
    path: Path, stats: BatchStats, inputs: Sequence[str], push_sources: Sequence[str], model: str
) -> None:
    atomic.write_text(path, render_html(stats, inputs, push_sources, model))
