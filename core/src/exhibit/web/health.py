"""``GET /healthz`` (the app is up and its database answers) and ``GET /readyz`` (and the
database holds the schema this version needs: the process may be sent traffic)."""

from litestar import get
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from exhibit.operations.readiness import SchemaCheck
from exhibit.platform import Platform

DATABASE_UNAVAILABLE = "database unavailable"
SCHEMA_NOT_CURRENT = "database schema is not the one this version needs: run `exhibit migrate`"


@get("/healthz", include_in_schema=False)
async def healthz(platform: NamedDependency[Platform]) -> Response[dict[str, str]]:
    """200 when the database answers a trivial query, 503 otherwise."""
    try:
        async with platform.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return _unavailable(DATABASE_UNAVAILABLE)
    return Response({"status": "ok"}, status_code=HTTP_200_OK)


def readiness_endpoint(schema: SchemaCheck) -> HTTPRouteHandler:
    """The ``GET /readyz`` route, checking the database's schema with ``schema``."""

    @get("/readyz", include_in_schema=False)
    async def readyz(platform: NamedDependency[Platform]) -> Response[dict[str, str]]:
        """200 when the database answers and has every migration of this version, 503
        otherwise (saying which)."""
        try:
            current = await schema.is_current(platform.engine)
        except (SQLAlchemyError, OSError):
            return _unavailable(DATABASE_UNAVAILABLE)
        if not current:
            return _unavailable(SCHEMA_NOT_CURRENT)
        return Response({"status": "ok"}, status_code=HTTP_200_OK)

    return readyz


def _unavailable(status: str) -> Response[dict[str, str]]:
    return Response({"status": status}, status_code=HTTP_503_SERVICE_UNAVAILABLE)
