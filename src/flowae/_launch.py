"""The console script: a Ctrl-C while the libraries load exits quietly, and the process
leaves through :func:`flowae.cli.leave` once the command is done."""

import sys


def main() -> None:
    try:
        from flowae.cli import leave
        from flowae.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("flowae: interrupted\n")
        sys.exit(130)
    code = 0
    try:
        run()
    except SystemExit as exit_request:
        code = exit_request.code if isinstance(exit_request.code, int) else 1
    leave(code)  # outside the handler: the exception's frames can be freed first
