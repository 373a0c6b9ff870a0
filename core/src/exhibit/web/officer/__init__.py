"""The officer web app: server-rendered pages behind a signed-in session.

Every page but sign-in needs a signed-in user (the ``user`` dependency), and every query
goes through a session scoped to that user's force, so another force's ids are not found.
"""

from litestar import Router
from litestar.di import Provide
from litestar.exceptions import NotFoundException

from exhibit.web.officer.cases import case_page, cases_page, open_case_submit
from exhibit.web.officer.errors import not_found
from exhibit.web.officer.outbox import outbox_page
from exhibit.web.officer.request_actions import extend, resend, revoke
from exhibit.web.officer.requests import new_request_form, new_request_submit
from exhibit.web.officer.sign_in import home, sign_in_form, sign_in_submit, sign_out
from exhibit.web.officer.signed_in import signed_in_user


def officer_router() -> Router:
    """Every officer page, under the site root."""
    return Router(
        path="/",
        route_handlers=[
            home,
            sign_in_form,
            sign_in_submit,
            sign_out,
            cases_page,
            open_case_submit,
            case_page,
            new_request_form,
            new_request_submit,
            resend,
            extend,
            revoke,
            outbox_page,
        ],
        dependencies={"user": Provide(signed_in_user)},
        exception_handlers={NotFoundException: not_found},
        include_in_schema=False,
    )
