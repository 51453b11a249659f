"""The ``policytag`` command line: one module per command group.

Commands parse options, call one library function and format its result. Errors
that a user can act on are printed as one line with a non-zero exit, never as a
traceback.
"""

from __future__ import annotations

import sys

import typer

from models.errors import PolicytagError
from policytag.cli import annotate, documents, evaluation, export, modelstore, pretrain, serve, tag

app = typer.Typer(
    name="policytag",
    help="Tag policy measures and named programmes in Chinese government replies and policies.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
documents.register(app)
evaluation.register(app)
modelstore.register(app)
annotate.register(app)
serve.register(app)
pretrain.register(app)
tag.register(app)
export.register(app)


def main() -> None:
    try:
        app()
    except PolicytagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
