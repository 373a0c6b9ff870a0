"""``python -m exhibit`` runs the command line."""

from exhibit.cli.main import main

main()
