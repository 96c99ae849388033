"""The console script's first step: a Ctrl-C while the libraries load exits quietly."""

import sys


def main() -> None:
    try:
        from flowae.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("flowae: interrupted\n")
        sys.exit(130)
    run()
