"""Model card for one evaluation run: several models, the same data, one folder.

Every number shown comes from a :class:`~models.evaluate.Report`; this module only
formats. It writes ``report.json`` (all reports, full precision), ``REPORT.md``
(readable tables) and ``per_label_f1.png`` (grouped bars), each atomically.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from models import atomic
from models.evaluate import Report
from models.schema import ENTITY_TYPES, MEASURE_LABELS

REPORT_JSON = "report.json"
REPORT_MD = "REPORT.md"
PER_LABEL_PNG = "per_label_f1.png"


def _check(reports: dict[str, Report]) -> None:
    """Refuse a comparison that would not be like for like."""
    if not reports:
        raise ValueError("no reports to write")
    hashes = {name: r.data_hash for name, r in reports.items()}
    if len(set(hashes.values())) > 1:
        shown = ", ".join(f"{name}: {h[:12]}" for name, h in hashes.items())
        raise ValueError(f"reports were computed on different data ({shown})")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _f(value: float) -> str:
    return f"{value:.3f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_json(reports: dict[str, Report], title: str) -> str:
    """``{"title": ..., "reports": {model name: Report JSON}}``."""
    payload = {
        "title": title,
        "reports": {name: r.model_dump(mode="json") for name, r in reports.items()},
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def render_markdown(reports: dict[str, Report], title: str) -> str:
    """The model card: summary, per-label and per-type tables."""
    _check(reports)
    first = next(iter(reports.values()))
    names = [_cell(name) for name in reports]
    lines = [
        f"# {_cell(title)}",
        "",
        f"{first.n} examples, data sha256 `{first.data_hash}`.",
        "",
        "Undefined ratios count as 0; macro-F1 averages all six measure labels, "
        "including those absent from gold (macro-F1 present: labels with gold "
        "support only). Entity F1 is strict (same start, end and type); partial F1 "
        "counts same-type overlaps, each gold span matched once.",
        "",
        "## Summary",
        "",
    ]
    lines += _table(
        [
            "model",
            "micro-F1",
            "macro-F1",
            "entity F1",
            "partial F1",
            "n",
            "data hash",
            "date",
        ],
        [
            [
                name,
                _f(r.labels.micro_f1),
                _f(r.labels.macro_f1),
                _f(r.entities.f1),
                _f(r.entities.partial_f1),
                str(r.n),
                f"`{r.data_hash[:12]}`",
                r.created,
            ]
            for name, r in zip(names, reports.values(), strict=True)
        ],
    )
    lines += ["", "## Details", ""]
    lines += _table(
        [
            "model",
            "version",
            "micro P",
            "micro R",
            "macro-F1 present",
            "subset acc.",
            "no label (gold)",
            "no label (pred)",
            "entity P",
            "entity R",
        ],
        [
            [
                name,
                _cell(r.model_version),
                _f(r.labels.micro_precision),
                _f(r.labels.micro_recall),
                _f(r.labels.macro_f1_present),
                _f(r.labels.subset_accuracy),
                _f(r.labels.none_rate_gold),
                _f(r.labels.none_rate_pred),
                _f(r.entities.precision),
                _f(r.entities.recall),
            ]
            for name, r in zip(names, reports.values(), strict=True)
        ],
    )
    lines += ["", "## Per-label F1", ""]
    lines += _table(
        ["label", "support", *names],
        [
            [
                label,
                str(first.labels.per_label[label].support),
                *(_f(r.labels.per_label[label].f1) for r in reports.values()),
            ]
            for label in MEASURE_LABELS
        ],
    )
    lines += ["", "## Per-type entity F1 (strict)", ""]
    lines += _table(
        ["type", "support", *names],
        [
            [
                kind,
                str(first.entities.per_type[kind].support),
                *(_f(r.entities.per_type[kind].f1) for r in reports.values()),
            ]
            for kind in ENTITY_TYPES
        ],
    )
    return "\n".join(lines) + "\n"


def render_chart(reports: dict[str, Report], title: str) -> bytes:
    """Grouped bar chart of per-label F1, one bar per model, as PNG bytes."""
    _check(reports)
    figure = Figure(figsize=(8.0, 4.0))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    width = 0.8 / len(reports)
    for i, (name, report) in enumerate(reports.items()):
        offset = (i - (len(reports) - 1) / 2) * width
        axes.bar(
            [x + offset for x in range(len(MEASURE_LABELS))],
            [report.labels.per_label[label].f1 for label in MEASURE_LABELS],
            width=width,
            label=name,
        )
    axes.set_xticks(range(len(MEASURE_LABELS)), list(MEASURE_LABELS))
    axes.set_ylim(0.0, 1.05)
    axes.set_ylabel("F1")
    axes.set_title(title)
    axes.legend(fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def write_report(out_dir: Path, reports: dict[str, Report], title: str) -> None:
    """Write ``report.json``, ``REPORT.md`` and ``per_label_f1.png`` into ``out_dir``.

    Everything is rendered before anything is written, so a failure leaves the
    folder as it was; each file is then replaced atomically.
    """
    out_dir = Path(out_dir)
    _check(reports)
    files = {
        REPORT_JSON: render_json(reports, title).encode("utf-8"),
        REPORT_MD: render_markdown(reports, title).encode("utf-8"),
        PER_LABEL_PNG: render_chart(reports, title),
    }
    for name, data in files.items():
        atomic.write_bytes(out_dir / name, data)
