"""``policytag train`` and ``policytag models list|show|promote|rollback``."""

from __future__ import annotations

import json
import logging
from typing import Annotated

import typer
from transformers.utils import logging as hf_logging

from models.pipeline import STORABLE_TYPES, train_and_register
from models.registry import ModelStore
from policytag.cli.output import console, print_table
from policytag.settings import get_settings

models_app = typer.Typer(
    help="Manage the model store: list, show, promote, roll back.", no_args_is_help=True
)


def _store() -> ModelStore:
    return ModelStore(get_settings().store_dir)


def train_command(
    model_type: Annotated[
        str, typer.Option("--type", "-t", help=f"Model type: {', '.join(STORABLE_TYPES)}.")
    ] = "bert",
    promote: Annotated[bool, typer.Option(help="Promote to current if not worse than it.")] = True,
    force: Annotated[
        bool, typer.Option(help="Promote even if worse than the current model.")
    ] = False,
) -> None:
    """Train on all gold (seeds + rounds), cross-validate by document, store, promote."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    hf_logging.set_verbosity_error()  # the expected "missing heads" load report is noise here
    outcome = train_and_register(model_type, get_settings(), promote, force, progress=console.print)
    report = outcome.report
    print_table(
        f"trained {outcome.version} in {outcome.seconds:.0f} s",
        ["leave-one-document-out", "value"],
        [
            ["micro-F1", f"{report.labels.micro_f1:.3f}"],
            ["macro-F1", f"{report.labels.macro_f1:.3f}"],
            ["entity F1", f"{report.entities.f1:.3f}"],
            ["promoted", "yes" if outcome.promoted else f"no: {outcome.refused or 'not asked'}"],
        ],
    )


@models_app.command("list")
def list_command() -> None:
    """Every stored model with its cross-validated figures; * marks current."""
    infos = _store().list()
    rows = [
        [
            ("* " if info.current else "  ") + info.version,
            info.type,
            info.created or "—",
            *(f"{info.eval[k]:.3f}" if k in info.eval else "—" for k in ("micro_f1", "entity_f1")),
        ]
        for info in infos
    ]
    print_table(
        f"{len(infos)} models in {_store().root}",
        ["version", "type", "created", "micro-F1", "entity F1"],
        rows,
    )


@models_app.command("show")
def show_command(
    version: Annotated[str, typer.Argument(help="A version, or 'current'.")] = "current",
) -> None:
    """Print a model's manifest (policytag.json)."""
    store = _store()
    path = store.resolve(version) if version == "current" else store.path(version)
    print(json.dumps(store.manifest(path.name), ensure_ascii=False, indent=2))


@models_app.command("promote")
def promote_command(
    version: str,
    force: Annotated[bool, typer.Option(help="Promote even if its figures are worse.")] = False,
) -> None:
    """Make VERSION the current model (refused if worse, unless --force)."""
    previous = _store().promote(version, force=force)
    console.print(f"current: {version} (was {previous or 'none'})")


@models_app.command("rollback")
def rollback_command() -> None:
    """Return to the model that was current before the last promotion."""
    console.print(f"current: {_store().rollback()}")


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.add_typer(models_app, name="models")
