"""``python -m flowae`` runs the command line."""

from flowae._launch import main

main()
