"""``python -m smewg`` is the same as the ``smewg`` command."""

from smewg.cli import main

main()
