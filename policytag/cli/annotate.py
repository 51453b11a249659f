"""``policytag annotate …``: Label Studio rounds — server, setup, push, pull, report, cycle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from annotation.push import MAX_PER_DOCUMENT
from annotation.sampling import Strategy
from models.errors import PolicytagError
from models.schema import MEASURE_LABELS
from policytag.cli.output import console, print_table
from policytag.settings import get_settings

if TYPE_CHECKING:
    from annotation.client import LabelStudioClient
    from annotation.metrics import RoundMetrics
    from annotation.pull import PullResult

# The annotation modules load inside each command, so other commands start fast.

annotate = typer.Typer(
    help="Label Studio rounds: run the server, set up the project, push, pull, report, cycle.",
    no_args_is_help=True,
)
server_app = typer.Typer(help="The local Label Studio server.", no_args_is_help=True)
annotate.add_typer(server_app, name="server")

SourceOpt = Annotated[
    str, typer.Option("--source", help="pool (POLICYTAG_POOL_DIR), a reply file, or a folder.")
]
CountOpt = Annotated[int, typer.Option("--n", min=1, help="How many segments to push.")]
StrategyOpt = Annotated[Strategy, typer.Option("--strategy", help="How to pick the segments.")]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Pre-annotating model: rules, tfidf, current, a stored version or a model dir "
        "(default: POLICYTAG_MODEL, the service's model).",
    ),
]


def _client() -> LabelStudioClient:
    from annotation.client import LabelStudioClient

    return LabelStudioClient.from_settings(get_settings())


# -- server -------------------------------------------------------------------


@server_app.command("install")
def server_install(
    venv: Annotated[Path | None, typer.Option(help="Where the venv goes.")] = None,
) -> None:
    """Create Label Studio's own venv (reused when it is already there); print its path."""
    from annotation import server

    target = venv or get_settings().label_studio_venv_dir
    server.ensure_venv(target, progress=console.print)
    print(Path(target).absolute())


@server_app.command("start")
def server_start(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server.")] = 240.0,
) -> None:
    """Start Label Studio on loopback (installing it on first use) and wait until it is up."""
    from annotation import server

    settings = get_settings()
    state = server.start(settings, timeout=timeout, progress=console.print)
    credentials = server.read_credentials(settings)
    print(state.describe())
    if credentials:
        console.print(
            f"log in as {credentials.username} (password and API token in "
            f"{server.layout(settings).credentials_file})"
        )


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Label Studio and everything it started."""
    from annotation import server

    stopped = server.stop(get_settings())
    print("stopped Label Studio" if stopped else "Label Studio was not running")


@server_app.command("status")
def server_status() -> None:
    """Say whether the local Label Studio is running and answering."""
    from annotation import server

    state = server.status(get_settings())
    print(state.describe())
    if not state.healthy:
        raise typer.Exit(1)


# -- project ------------------------------------------------------------------


@annotate.command("config")
def config_command(
    check: Annotated[bool, typer.Option(help="Fail if the file is out of date.")] = False,
) -> None:
    """Regenerate annotation/label_config.xml from the schema and the guidelines."""
    from annotation.label_config import (
        LABEL_CONFIG_FILE,
        build_label_config,
        write_label_config,
    )

    if check:
        current = (
            LABEL_CONFIG_FILE.read_text(encoding="utf-8") if LABEL_CONFIG_FILE.is_file() else ""
        )
        if current != build_label_config():
            raise PolicytagError(
                f"{LABEL_CONFIG_FILE} is out of date; run `policytag annotate config`"
            )
        print(f"{LABEL_CONFIG_FILE} is up to date")
        return
    changed = write_label_config()
    print(f"{'wrote' if changed else 'unchanged:'} {LABEL_CONFIG_FILE}")


@annotate.command("setup")
def setup_command(
    ml_backend: Annotated[
        str | None,
        typer.Option(help="Connect the service's Label Studio routes at this URL as ML backend."),
    ] = None,
) -> None:
    """Create the Label Studio project, or reuse it and update a changed label config."""
    from annotation.project import setup_project

    result = setup_project(_client(), get_settings(), ml_backend)
    action = "created" if result.created else "reused"
    config = "label config updated" if result.config_updated else "label config unchanged"
    print(f"{action} project {result.title!r} (id {result.project_id}); {config}")
    if result.ml_backend:
        state = "connected" if result.ml_backend_created else "already connected"
        print(f"ML backend {result.ml_backend}: {state}")


@annotate.command("push")
def push_command(
    source: SourceOpt = "pool",
    n: CountOpt = 50,
    strategy: StrategyOpt = Strategy.uncertainty,
    model: ModelOpt = None,
    max_per_doc: Annotated[
        int | None,
        typer.Option(help="At most this many segments per document in the project (all rounds)."),
    ] = MAX_PER_DOCUMENT,
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="With --strategy targeted: a measure label or entity type to seek "
            "(repeat for several), e.g. --target talent --target FUND.",
        ),
    ] = None,
) -> None:
    """Segment, score and import the most useful segments as pre-annotated tasks."""
    from annotation.push import push

    result = push(
        _client(),
        get_settings(),
        source,
        n,
        strategy,
        model,
        progress=console.print,
        max_per_doc=max_per_doc,
        targets=target or [],
    )
    print(
        f"pushed {result.imported} task(s) to project {result.project_id} "
        f"({result.strategy}, pre-annotated by {result.model_version}); "
        f"{result.already_known} of {result.candidates} candidates were already known"
    )


def _print_pull(result: PullResult) -> None:
    for task in result.invalid:
        console.print(f"invalid task {task.task_id}: {'; '.join(task.problems)}")
    if result.changed:
        print(
            f"wrote {result.round_file} ({result.records} record(s), "
            f"{len(result.invalid)} invalid task(s) left out) and {result.manifest_file}"
        )
    else:
        latest = f"round-{result.latest_round:03d}" if result.latest_round else "no round yet"
        print(
            f"nothing new to pull ({result.already_in_rounds} task(s) already in rounds, "
            f"{len(result.invalid)} invalid); latest: {latest}"
        )


@annotate.command("tasks")
def tasks_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL of open tasks to annotate.")],
    annotator: Annotated[
        str | None, typer.Option(help="Only tasks this annotator has not done yet.")
    ] = None,
) -> None:
    """Export open tasks with their pre-annotations, for annotating in an editor."""
    from annotation.offline import export_open_tasks

    count = export_open_tasks(_client(), get_settings(), out, annotator)
    print(f"wrote {count} open task(s) to {out}")


@annotate.command("submit")
def submit_command(
    file: Annotated[Path, typer.Argument(help="JSONL lines: task_id, labels, entities.")],
    annotator: Annotated[str, typer.Option(help="Who annotated (a name or an email).")],
) -> None:
    """Submit finished lines as that annotator's annotations; invalid lines are refused."""
    from annotation.offline import submit_file

    result = submit_file(_client(), get_settings(), file, annotator)
    for problem in result.refused:
        console.print(f"refused: {problem}")
    print(
        f"submitted {len(result.submitted)} annotation(s) as {annotator}; refused {len(result.refused)}"
    )
    if result.refused:
        raise typer.Exit(1)


@annotate.command("pull")
def pull_command() -> None:
    """Export annotations, validate them and write the next round file with its manifest."""
    from annotation.pull import pull

    _print_pull(pull(_client(), get_settings(), progress=console.print))


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{round(value, 2) + 0.0:.2f}"


def _round_rows(metrics: list[RoundMetrics]) -> list[list[str]]:
    rows = []
    for m in metrics:
        gold, iaa = m.versus_gold, m.inter_annotator
        rows.append(
            [
                f"{m.round:03d}",
                str(m.records),
                str(m.invalid),
                str(m.annotators),
                ", ".join(m.model_versions) or "—",
                f"{m.changed}/{m.pre_annotated} ({m.changed_rate:.0%})",
                _figure(gold.labels.micro_f1 if gold else None),
                _figure(gold.entities.f1 if gold else None),
                str(iaa.n) if iaa else "0",
                _figure(iaa.micro_f1 if iaa else None),
                _figure(iaa.entity_f1 if iaa else None),
            ]
        )
    return rows


def _label_rows(metrics: list[RoundMetrics]) -> list[list[str]]:
    rows = []
    for m in metrics:
        for label in MEASURE_LABELS:
            per_label = m.versus_gold.labels.per_label[label] if m.versus_gold else None
            iaa = m.inter_annotator
            rows.append(
                [
                    f"{m.round:03d}",
                    label,
                    str(per_label.support) if per_label else "—",
                    _figure(m.kappa_versus_gold.get(label)),
                    _figure(per_label.f1 if per_label else None),
                    _figure(iaa.kappa[label] if iaa else None),
                    _figure(iaa.label_f1[label] if iaa else None),
                ]
            )
    return rows


@annotate.command("report")
def report_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Per round: how often annotators changed the pre-annotations, and their agreement."""
    from annotation.metrics import round_metrics

    settings = get_settings()
    metrics = round_metrics(settings.rounds_dir, settings.pool_file)
    if as_json:
        payload = [
            {
                **{
                    k: v
                    for k, v in m.__dict__.items()
                    if k not in {"versus_gold", "inter_annotator"}
                },
                "changed_rate": m.changed_rate,
                "versus_gold": m.versus_gold.model_dump() if m.versus_gold else None,
                "inter_annotator": m.inter_annotator.__dict__ if m.inter_annotator else None,
            }
            for m in metrics
        ]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not metrics:
        print(f"no finished rounds in {settings.rounds_dir}")
        return
    print_table(
        "rounds: pre-annotation vs final gold, and inter-annotator agreement (IAA)",
        [
            "round",
            "records",
            "invalid",
            "annotators",
            "pre-annotated by",
            "changed",
            "label micro-F1",
            "entity F1",
            "IAA tasks",
            "IAA label micro-F1",
            "IAA entity F1",
        ],
        _round_rows(metrics),
    )
    print_table(
        "per label: Cohen's kappa and F1, pre-annotation vs gold and between annotators",
        ["round", "label", "gold", "κ vs gold", "F1 vs gold", "IAA κ", "IAA F1"],
        _label_rows(metrics),
    )


@annotate.command("cycle")
def cycle_command(
    model: Annotated[
        str, typer.Option("--model", help="Model type to train: tfidf or bert.")
    ] = "tfidf",
    source: SourceOpt = "pool",
    n: CountOpt = 50,
    strategy: StrategyOpt = Strategy.uncertainty,
    push_next: Annotated[
        bool, typer.Option("--push/--no-push", help="Push the next batch.")
    ] = True,
) -> None:
    """Pull, retrain on all rounds, evaluate (LODO), promote if better, push the next batch."""
    from annotation.cycle import run_cycle

    result = run_cycle(
        _client(), get_settings(), model, n, strategy, source, push_next, progress=console.print
    )
    _print_pull(result.pulled)
    outcome = result.outcome
    figures = {
        "micro_f1": outcome.report.labels.micro_f1,
        "entity_f1": outcome.report.entities.f1,
    }
    print(f"gold: {outcome.report.n} segments")
    for key, value in figures.items():
        print(
            f"cross-validated {key}: {_figure(result.previous_figures.get(key))} → {_figure(value)}"
        )
    if outcome.promoted:
        print(f"promoted {outcome.version} (was {result.previous or 'nothing'})")
    else:
        print(f"kept {result.previous}; {outcome.refused}")
    if result.pushed:
        print(
            f"pushed {result.pushed.imported} task(s) pre-annotated by {result.pushed.model_version}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(annotate, name="annotate")
