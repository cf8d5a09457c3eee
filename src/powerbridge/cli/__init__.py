"""The `powerbridge` command line.

Command modules import their heavy dependencies (httpx, starlette, yaml, rich, ...) inside the
command functions, so that `powerbridge --help` stays fast.
"""
