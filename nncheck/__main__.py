"""Entry point: ``nncheck`` and ``python -m nncheck``."""

import sys


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    from nncheck.cli.fast import run

    code = run(args)
    if code is not None:
        sys.exit(code)
    from nncheck.cli.app import main as cli_main

    cli_main(args)


if __name__ == "__main__":
    main()
