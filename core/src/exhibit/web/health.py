"""``GET /healthz``: the app is up and its database answers."""

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from exhibit.platform import Platform


@get("/healthz", include_in_schema=False)
async def healthz(platform: NamedDependency[Platform]) -> Response[dict[str, str]]:
    """200 when the database answers a trivial query, 503 otherwise."""
    try:
        async with platform.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return Response(
            {"status": "database unavailable"}, status_code=HTTP_503_SERVICE_UNAVAILABLE
        )
    return Response({"status": "ok"}, status_code=HTTP_200_OK)
