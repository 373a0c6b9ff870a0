"""Row ids in JSON bodies: refused past any row's id, as they are in paths.

A number larger than an id column holds names no row, and a query with one fails inside the
database driver on PostgreSQL; ``exhibit.web.request_guard`` answers such path parameters
404, and a body gets msgspec's 400 naming the field.
"""

from typing import Annotated

import msgspec

from exhibit.db.base import MAX_INTEGER

RowId = Annotated[int, msgspec.Meta(ge=1, le=MAX_INTEGER, description="A record's id.")]
