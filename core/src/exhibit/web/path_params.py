"""Numbers in a URL that no database row can carry are refused before any handler runs.

Every ``{…:int}`` path parameter names a row by its integer key, which PostgreSQL stores
in 32 bits (``exhibit.db.base.MAX_INTEGER``). Python parses any length of digits, and a
query with a number past that range fails inside the database driver (an error, not "no
such row"). Such a number names nothing, so the answer is the same 404 as for a row that
does not exist.
"""

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException

from exhibit.db.base import MAX_INTEGER


async def refuse_ids_out_of_range(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: 404 when an integer path parameter is past any row's id."""
    for name, value in request.path_params.items():
        if isinstance(value, int) and not -MAX_INTEGER <= value <= MAX_INTEGER:
            raise NotFoundException(f"no such {name.removesuffix('_id')}")
