"""The ``flok`` command line: one module per capability, registered on one Typer app."""
