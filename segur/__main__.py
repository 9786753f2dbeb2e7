"""``python -m segur``: the same as the ``segur`` command."""

from segur.cli import run

run()
