"""Where to go after signing in: only ever a page of this site."""

from urllib.parse import urlencode

DEFAULT_PAGE = "/cases"


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this site, else the default page (no open redirect)."""
    if (
        not value
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return DEFAULT_PAGE
    return value


def sign_in_url(back: str | None) -> str:
    """The sign-in page, remembering the page to return to."""
    if not back or safe_next(back) == DEFAULT_PAGE:
        return "/sign-in"
    return "/sign-in?" + urlencode({"next": back})
