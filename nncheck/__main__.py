"""Entry point: ``nncheck`` and ``python -m nncheck``.

The fast front end runs the commands typed most (``--help``, ``list``, ``show``, ``quiz``, and a repeat ``check``
whose key is cached) without importing Typer; whatever it does not take, the Typer app runs.  Both report
failures through one error policy (:mod:`nncheck.cli.policy`).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    from nncheck.cli.fast import run

    code = run(args)
    if code is not None:
        sys.exit(code)
    from nncheck.cli.app import main as cli_main

    cli_main(args)


if __name__ == "__main__":
    main()
