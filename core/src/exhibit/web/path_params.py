"""Numbers in a URL that no database row can carry are refused before any handler runs.

Every ``{…:int}`` path parameter names a row by its integer key, which SQLite and
PostgreSQL store in 64 bits. Python parses any length of digits, and a query with a number
past that range fails inside the database driver (an error, not "no such row"). Such a
number names nothing, so the answer is the same 404 as for a row that does not exist.
"""

from typing import Any

from litestar import Request
from litestar.exceptions import NotFoundException

ROW_ID_MIN = -(2**63)
ROW_ID_MAX = 2**63 - 1


async def refuse_ids_out_of_range(request: Request[Any, Any, Any]) -> None:
    """``before_request`` hook: 404 when an integer path parameter is outside 64 bits."""
    for name, value in request.path_params.items():
        if isinstance(value, int) and not ROW_ID_MIN <= value <= ROW_ID_MAX:
            raise NotFoundException(f"no such {name.removesuffix('_id')}")
