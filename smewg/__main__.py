"""``python -m smewg`` is the same as the ``smewg`` command."""

from smewg.cli import main

if __name__ == "__main__":  # not when imported (a process started by spawn imports __main__)
    main()
