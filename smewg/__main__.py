"""``python -m smewg`` is the same as the ``smewg`` command."""

from smewg.cli import main

if __name__ == "__main__":  # not when a worker process started by spawn imports it
    main()
