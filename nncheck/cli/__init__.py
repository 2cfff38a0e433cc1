"""The command line. Kept empty: the fast front end imports nncheck.cli.fast without typer."""
