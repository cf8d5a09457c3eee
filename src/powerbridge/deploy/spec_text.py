"""A spec file's text: UTF-8 (a BOM, as Notepad writes, is no key), or a located SpecErrors."""

from __future__ import annotations

from powerbridge.deploy.errors import SpecError, SpecErrors


def read_spec_text(source: str) -> str:
    """The file's text; SpecErrors naming the line and column of a byte that is not UTF-8.
    OSError (missing, unreadable) is the caller's: each names the file its own way."""
    with open(source, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        column = error.start - (before.rfind(b"\n") + 1) + 1
        problem = SpecError(
            file=source,
            line=before.count(b"\n") + 1,
            column=column,
            message=f"byte 0x{data[error.start]:02x} (offset {error.start}) is not UTF-8 text",
            allowed="save the file as UTF-8",
        )
        raise SpecErrors([problem]) from None
