"""Requests refused before any handler runs: what names no row, or what no record can hold.

- An integer path parameter past any row's id: every ``{…:int}`` path parameter names a row
  by its integer key, which PostgreSQL stores in 32 bits (``exhibit.db.base.MAX_INTEGER``).
  Python parses any length of digits, and a query with a number past that range fails
  inside the database driver (an error, not "no such row"). Such a number names nothing, so
  the answer is the same 404 as for a row that does not exist.
- A NUL character in the path, the query or a form or JSON body. No text Exhibit keeps can
  hold one (PostgreSQL refuses it in a query, where SQLite would store it), and nobody types
  one: the request is refused whole (404 for a path, 400 otherwise), before anything is
  looked up or written. A form sent as ``multipart/form-data`` (any browser form may be) is
  read as the route would read it and its text fields checked too. File bytes (tus uploads,
  multipart files) are not looked at, nor the body of a route that streams it (no size limit).
"""

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, NotFoundException

from exhibit.db.base import MAX_INTEGER

_NUL_IN_BODY = "the request holds a NUL character, which no value may contain"
_MULTIPART = "multipart/form-data"
_TEXT_BODIES = {
    "application/x-www-form-urlencoded": (b"\x00", b"%00"),
    "application/json": (b"\x00", b"\\u0000"),
}


async def guard_request(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: refuse ids out of range and NUL characters (module docstring)."""
    for name, value in request.path_params.items():
        if isinstance(value, int) and not -MAX_INTEGER <= value <= MAX_INTEGER:
            raise NotFoundException(f"no such {name.removesuffix('_id')}")
        if isinstance(value, str) and "\x00" in value:
            raise NotFoundException(f"no such {name.removesuffix('_id')}")
    if b"%00" in request.scope.get("query_string", b""):
        raise ClientException("the address holds a NUL character, which no value may contain")
    media_type = request.content_type[0]
    if media_type in _TEXT_BODIES:
        body = await request.body()
        if any(nul in body for nul in _TEXT_BODIES[media_type]):
            raise ClientException(_NUL_IN_BODY)
    elif media_type == _MULTIPART and request.route_handler.resolve_request_max_body_size():
        form = await request.form()  # kept by the request: the route reads the same form
        if any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
            raise ClientException(_NUL_IN_BODY)
