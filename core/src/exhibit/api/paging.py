"""Lists a page at a time: the one paging convention of the API.

A list comes ``limit`` rows at a time (``PAGE`` unless the client says, at most
``MAX_PAGE``). The cursor is the id of the last row of the page before: ``before`` for a
list newest first, ``after`` for one oldest first. Unlike an offset, it neither skips nor
repeats a row when one is added while a client pages through. While more rows remain, the
``Link`` header holds the next page's URL (``rel="next"``); the last page has none. A limit
or cursor out of range is a 400 naming the parameter.
"""

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Protocol, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.datastructures import ResponseHeader
from litestar.params import Parameter

from exhibit.db.base import MAX_INTEGER

PAGE = 100
MAX_PAGE = 500

Limit = Annotated[
    int, Parameter(ge=1, le=MAX_PAGE, description=f"How many to return, at most {MAX_PAGE}.")
]
Before = Annotated[
    int | None,
    Parameter(
        ge=1,
        le=MAX_INTEGER,
        description="Only those older than this id: the id of the last of the page before "
        "(the next page's URL in the Link header carries it).",
    ),
]
After = Annotated[
    int,
    Parameter(
        ge=0,
        le=MAX_INTEGER,
        description="Only those after this id (0: from the start): the id of the last of the "
        "page before (the next page's URL in the Link header carries it).",
    ),
]


class HasId(Protocol):
    """A row of a list: its id is the cursor."""

    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=HasId)


def next_page_header(rows: str) -> ResponseHeader:
    """The schema's word on the ``Link`` header of a list of ``rows``."""
    return ResponseHeader(
        name="Link",
        documentation_only=True,
        description=f'The next page\'s URL, as <URL>; rel="next", while more {rows} remain.',
    )


def paged_help(rows: str, order: str) -> str:
    """The schema's description of a paged list of ``rows`` in ``order``."""
    return (
        f"{rows}, {order}, {PAGE} at a time unless limit says otherwise (at most {MAX_PAGE}). "
        'While more remain, the Link header gives the next page\'s URL (rel="next").'
    )


def page(
    request: Request[Any, Any, Any],
    rows: Sequence[Row],
    *,
    limit: int,
    cursor: str,
    kept: Mapping[str, str | int] | None = None,
) -> Response[list[Row]]:
    """Answer the first ``limit`` of ``rows``, fetched as ``limit + 1`` to know whether more
    remain (``answer_page``)."""
    return answer_page(
        request, rows[:limit], limit=limit, cursor=cursor, more=len(rows) > limit, kept=kept
    )


def answer_page(
    request: Request[Any, Any, Any],
    shown: Sequence[Row],
    *,
    limit: int,
    cursor: str,
    more: bool,
    kept: Mapping[str, str | int] | None = None,
) -> Response[list[Row]]:
    """Answer a page of ``shown`` rows, with the next page's URL in the ``Link`` header when
    ``more`` remain.

    ``cursor`` names the query parameter that carries the last row's id (``before`` or
    ``after``); ``kept`` are other query parameters the next page keeps (a filter).
    """
    if not more or not shown:
        return Response(list(shown))
    query = urlencode({**(kept or {}), "limit": limit, cursor: shown[-1].id})
    return Response(list(shown), headers={"Link": f'<{request.url.path}?{query}>; rel="next"'})
