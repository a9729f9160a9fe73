"""``python -m symgrad`` works like the ``symgrad`` command."""

from symgrad.cli import main

main()
