"""``python -m simcare``: the same as the ``simcare`` command."""

from simcare.cli import main

main()
