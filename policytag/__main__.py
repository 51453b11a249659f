"""``python -m policytag`` is the same as the ``policytag`` command."""

from policytag.cli import main

main()
