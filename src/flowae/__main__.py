"""``python -m flowae`` runs the command line."""

from flowae.cli import main

main()
