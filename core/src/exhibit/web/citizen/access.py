"""Opening a link for a citizen page: the token, the force, the language and rate limits.

The token is looked up with an unscoped session (the force is not known until it matches);
everything after that runs in the force's own session. A link that cannot be used becomes
``LinkUnavailable`` and too many hits become ``TooManyRequests``; both carry what the page
needs to tell the witness (the force and the language), never case data.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromPath

from exhibit.forces.logo import logo_path
from exhibit.forces.models import Force
from exhibit.i18n import choose_language, force_text
from exhibit.platform import Platform
from exhibit.ratelimit.limiter import RateLimited, hit
from exhibit.uploads.links import (
    LinkProblem,
    LinkRefused,
    count_unknown_link,
    request_for_token,
)
from exhibit.uploads.models import EvidenceRequest, RequestState

LANGUAGE_COOKIE = "exhibit_lang"
# Generous for one witness reloading a page on a bad connection.
LINK_VIEW_LIMIT = 120
LINK_VIEW_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class ForcePage:
    """What the citizen pages show of a force."""

    name: str
    contact_details: str
    privacy_notice: str
    welsh_enabled: bool
    name_cy: str = ""
    contact_details_cy: str = ""
    privacy_notice_cy: str = ""
    logo_url: str = ""

    @classmethod
    def of(cls, force: Force) -> "ForcePage":
        """The page's view of ``force``."""
        return cls(
            name=force.name,
            contact_details=force.contact_details,
            privacy_notice=force.privacy_notice,
            welsh_enabled=force.welsh_enabled,
            name_cy=force.name_cy,
            contact_details_cy=force.contact_details_cy,
            privacy_notice_cy=force.privacy_notice_cy,
            logo_url=logo_path(force.slug, force.logo_sha256),
        )

    def name_in(self, lang: str) -> str:
        """The force's name in ``lang`` (the English one where the Welsh is empty)."""
        return force_text(self.name, self.name_cy, lang)

    def contact_in(self, lang: str) -> str:
        """The contact details in ``lang`` (the English ones where Welsh is empty)."""
        return force_text(self.contact_details, self.contact_details_cy, lang)

    def privacy_in(self, lang: str) -> str:
        """The privacy notice in ``lang`` (the English one where Welsh is empty)."""
        return force_text(self.privacy_notice, self.privacy_notice_cy, lang)


@dataclass(frozen=True)
class CitizenLink:
    """A link that opened: which request, whose force, and the page's language.

    ``remember_language`` is set when ``?lang=`` chose the language, so the response stores
    it in a cookie.
    """

    token: str
    request_id: int
    force_id: int
    state: RequestState
    force: ForcePage
    lang: str
    remember_language: bool

    @property
    def page_path(self) -> str:
        """The upload page's path (the only kind of URL the token may appear in)."""
        return f"/u/{self.token}"


class LinkUnavailable(Exception):
    """The link cannot be used; ``force`` is None when the token matched nothing."""

    def __init__(
        self, problem: LinkProblem, force: ForcePage | None, lang: str, token: str = ""
    ) -> None:
        super().__init__(f"upload link {problem.value}")
        self.problem = problem
        self.force = force
        self.lang = lang
        self.token = token


class TooManyRequests(Exception):
    """The client or the link hit its rate limit; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int, force: ForcePage | None, lang: str) -> None:
        super().__init__(f"too many requests; retry after {retry_after} s")
        self.retry_after = retry_after
        self.force = force
        self.lang = lang


async def provide_link(
    request: Request[Any, Any, Any], platform: NamedDependency[Platform], token: FromPath[str]
) -> CitizenLink:
    """The link named in the path, or ``LinkUnavailable`` / ``TooManyRequests``."""
    requested = request.query_params.get("lang")
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    found: EvidenceRequest | None = None
    refused: LinkRefused | None = None
    force: ForcePage | None = None
    async with platform.system_session() as session:
        try:
            found = await request_for_token(session, token, allow_submitted=True)
        except LinkRefused as exc:
            refused = exc
        force_id = found.force_id if found else refused.force_id if refused else None
        force_row = await session.get(Force, force_id) if force_id is not None else None
        force = ForcePage.of(force_row) if force_row else None
    # With no force (a link that matched nothing) no force has ruled Welsh out.
    welsh_enabled = force is None or force.welsh_enabled
    lang = choose_language(requested, remembered, welsh_enabled=welsh_enabled)

    if found is None or force is None:
        problem = refused.problem if refused else LinkProblem.UNKNOWN
        if problem == LinkProblem.UNKNOWN:
            try:
                await count_unknown_link(platform.sessions, _client(request))
            except RateLimited as exc:
                raise TooManyRequests(exc.retry_after, force, lang) from None
        raise LinkUnavailable(problem, force, lang, token)
    key = f"citizen:link:{found.id}"
    await _count(platform, key, LINK_VIEW_LIMIT, LINK_VIEW_WINDOW, force, lang)
    return CitizenLink(
        token=token,
        request_id=found.id,
        force_id=found.force_id,
        state=found.state,
        force=force,
        lang=lang,
        remember_language=requested == lang and force.welsh_enabled,
    )


async def _count(
    platform: Platform,
    key: str,
    limit: int,
    window: timedelta,
    force: ForcePage | None,
    lang: str,
) -> None:
    try:
        await hit(platform.sessions, key, limit=limit, window=window)
    except RateLimited as exc:
        raise TooManyRequests(exc.retry_after, force, lang) from None


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"
