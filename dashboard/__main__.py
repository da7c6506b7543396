"""``python -m dashboard`` runs the CLI (same as the ``pulseboard`` command)."""

from dashboard.cli import main

main()
