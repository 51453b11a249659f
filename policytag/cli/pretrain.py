"""``policytag pretrain``: build the offline Chinese base BERT by masked-LM pretraining."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from policytag.cli.output import print_table

if TYPE_CHECKING:
    from models.bert.pretrain import PretrainResult


def pretrain_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Base model dir (default: <data_dir>/base/policytag-zh-mini)."
        ),
    ] = None,
    text: Annotated[
        list[Path] | None,
        typer.Option(
            "--text", help="Extra text: .txt, or .jsonl with a 'text' field (repeatable)."
        ),
    ] = None,
    max_minutes: Annotated[
        float,
        typer.Option(
            help="Time budget: the schedule is shortened to fit it (unless --no-fit) "
            "and the run stops and saves when it is spent; 0: no limit."
        ),
    ] = 18.0,
    steps: Annotated[int | None, typer.Option(min=1, help="Training steps [800].")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint.")
    ] = False,
    stop_after: Annotated[
        int | None,
        typer.Option(min=1, help="Pause after this many steps of this run (resume later)."),
    ] = None,
    layers: Annotated[int | None, typer.Option(min=1, help="Transformer layers [4].")] = None,
    hidden: Annotated[int | None, typer.Option(min=8, help="Hidden size [256].")] = None,
    heads: Annotated[int | None, typer.Option(min=1, help="Attention heads [4].")] = None,
    intermediate: Annotated[
        int | None, typer.Option(min=8, help="Feed-forward size [1024].")
    ] = None,
    seq_len: Annotated[
        int | None, typer.Option(min=8, help="Packed sequence length [128].")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Sequences per step [32].")] = None,
    lr: Annotated[float | None, typer.Option(min=0.0, help="Peak learning rate [5e-4].")] = None,
    common_chars: Annotated[
        int | None, typer.Option(min=0, help="Common characters kept beyond the corpus [3500].")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed [POLICYTAG_SEED].")] = None,
    fit: Annotated[
        bool,
        typer.Option(help="Shorten the schedule when it would not finish within --max-minutes."),
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Pretrain a compact Chinese BERT (whole-word MLM) on the seeds, the pool and --text files.

    Fine-tuning loads the result as its base. The defaults take about 10 minutes on 2 idle CPU cores; on a busy machine the schedule is shortened to end within --max-minutes. A checkpoint is written every 100 steps; Ctrl-C stops and saves, and --resume continues.
    """
    from models.bert.pretrain import PretrainConfig, pretrain
    from policytag.settings import get_settings

    overrides = {
        "steps": steps,
        "layers": layers,
        "hidden": hidden,
        "heads": heads,
        "intermediate": intermediate,
        "seq_len": seq_len,
        "batch_size": batch_size,
        "learning_rate": lr,
        "common_chars": common_chars,
        "seed": seed,
    }
    given = {key: value for key, value in overrides.items() if value is not None}
    config = None
    if given or not resume:
        config = PretrainConfig(**{"seed": get_settings().seed, **given})
    result = pretrain(
        out,
        config=config,
        texts=text or [],
        resume=resume,
        max_minutes=max_minutes or None,
        stop_after=stop_after,
        progress=not quiet,
        fit_budget=fit,
    )
    _summary(result)


def _minutes(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s"


def _steps(result: PretrainResult) -> str:
    manifest = result.manifest
    text = f"{result.steps}/{result.planned_steps} ({manifest['epochs']} epochs)"
    if manifest["fitted_to_budget"]:
        text += f"; shortened from {manifest['requested_steps']} to fit --max-minutes"
    return text


def _summary(result: PretrainResult) -> None:
    manifest = result.manifest
    status = "completed" if result.completed else f"paused ({manifest['stopped']}): use --resume"
    before, after = result.before, result.after
    rows = [
        [
            "held-out MLM loss",
            f"{before.loss:.3f}" if before else "—",
            f"{after.loss:.3f}" if after else "—",
        ],
        [
            "held-out perplexity",
            f"{before.perplexity:,.1f}" if before else "—",
            f"{after.perplexity:,.1f}" if after else "—",
        ],
    ]
    print_table(f"{result.out_dir} — {status}", ["", "random init", "trained"], rows)
    corpus, timing = manifest["corpus"], manifest["timing"]
    print_table(
        "run",
        ["", "value"],
        [
            ["steps", _steps(result)],
            ["time", f"{_minutes(result.seconds)} ({timing['tokens_per_second']:,} tok/s)"],
            ["vocab", f"{manifest['vocab']['size']:,} tokens"],
            ["[UNK] rate", f"{manifest['unk_rate']['corpus']:.3%}"],
            [
                "corpus",
                f"{corpus['documents']} documents, {corpus['paragraphs']:,} paragraphs, "
                f"{corpus['tokens']:,} tokens; held out {corpus['heldout']['documents']} documents",
            ],
        ],
    )


def register(app: typer.Typer) -> None:
    app.command("pretrain")(pretrain_command)
