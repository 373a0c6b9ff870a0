"""``GET /forces/<slug>/logo/<version>``: a force's logo, for the witness's pages.

Public, as the pages that show it are. The address carries the start of the logo's SHA-256,
so a browser may keep it for a year: a new logo has a new address, and an old address
answers 404. The PNG is one Exhibit drew (``exhibit.forces.logo``), served as an image that
may run nothing.
"""

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from exhibit.forces.logo import logo_png
from exhibit.platform import Platform

CACHE_FOR_A_YEAR = "public, max-age=31536000, immutable"


@get("/forces/{slug:str}/logo/{version:str}", include_in_schema=False)
async def force_logo(
    slug: FromPath[str], version: FromPath[str], platform: NamedDependency[Platform]
) -> Response[bytes]:
    """The logo of force ``slug`` if ``version`` is its current one; 404 otherwise."""
    async with platform.system_session() as session:
        png = await logo_png(session, slug, version)
    if png is None:
        raise NotFoundException()
    return Response(
        png,
        media_type="image/png",
        headers={
            "Cache-Control": CACHE_FOR_A_YEAR,
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
