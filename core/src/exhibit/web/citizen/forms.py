"""The send form and the page script's JSON: what comes in, what goes out, what is wrong."""

from dataclasses import dataclass

import msgspec

from exhibit.i18n import translate
from exhibit.uploads.submissions import MAX_STATEMENT_LENGTH
from exhibit.web.citizen.views import FileLists


@dataclass
class FinishForm:
    """The send form: an optional statement, the confirmation box, and the language of the
    page it was on (the receipt's language, even where the language cookie was refused)."""

    statement: str = ""
    confirm: str = ""
    lang: str = ""


@dataclass(frozen=True)
class FieldError:
    """One problem on the page: the field it belongs to and what to tell the witness."""

    field: str
    target: str
    message: str


class ReceivedFileOut(msgspec.Struct):
    """A file that arrived, for the page's script."""

    name: str
    size: int
    sha256: str
    state: str


class UnfinishedFileOut(msgspec.Struct):
    """An upload begun and not finished, for the page's script."""

    name: str
    size: int
    received_bytes: int
    url: str


class FilesOut(msgspec.Struct):
    """What has arrived so far in the submission in progress."""

    received: list[ReceivedFileOut]
    unfinished: list[UnfinishedFileOut]


def files_out(files: FileLists) -> FilesOut:
    """The script's view of the submission's files."""
    return FilesOut(
        received=[
            ReceivedFileOut(
                name=f.name,
                size=f.size,
                sha256=f.sha256,
                state="quarantined" if f.quarantined else "received",
            )
            for f in files.received
        ],
        unfinished=[
            UnfinishedFileOut(name=f.name, size=f.size, received_bytes=f.received_bytes, url=f.url)
            for f in files.unfinished
        ],
    )


def form_errors(lang: str, statement: str, *, confirmed: bool) -> list[FieldError]:
    """The send form's own problems: a statement too long, the box not ticked."""
    errors = []
    if len(statement) > MAX_STATEMENT_LENGTH:
        message = translate(lang, "error_statement_long", count=f"{MAX_STATEMENT_LENGTH:,}")
        errors.append(FieldError("statement", "statement", message))
    if not confirmed:
        errors.append(FieldError("confirm", "confirm", translate(lang, "error_confirm")))
    return errors


def files_error(lang: str, key: str) -> FieldError:
    """A problem with the files (message ``key``), shown at the file chooser."""
    return FieldError("files", "file-input", translate(lang, key))
