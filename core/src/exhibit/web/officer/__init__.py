"""The officer web app: server-rendered pages behind a signed-in session.

Every page but sign-in needs a signed-in user (the ``user`` dependency), and every query
goes through a session scoped to that user's force, so another force's ids are not found.
"""

from litestar import Router
from litestar.di import Provide

from exhibit.web.officer.admin_force import ADMIN_FORCE_HANDLERS
from exhibit.web.officer.admin_logo import ADMIN_LOGO_HANDLERS
from exhibit.web.officer.admin_plugins import ADMIN_PLUGIN_HANDLERS
from exhibit.web.officer.admin_user_access import ADMIN_ACCESS_HANDLERS
from exhibit.web.officer.admin_users import ADMIN_USER_HANDLERS
from exhibit.web.officer.audit_search import audit_chain, audit_csv, audit_page, audit_verify
from exhibit.web.officer.case_closure import CASE_CLOSURE_HANDLERS
from exhibit.web.officer.case_continuity import CASE_CONTINUITY_HANDLERS
from exhibit.web.officer.case_details import CASE_DETAIL_HANDLERS
from exhibit.web.officer.cases import case_page, cases_page, open_case_submit
from exhibit.web.officer.categories import add_category_submit, categories_page, change_category
from exhibit.web.officer.continuity import continuity_csv, continuity_page
from exhibit.web.officer.disposal import (
    approve,
    approve_form,
    ask_disposal,
    disposals_page,
    refuse,
)
from exhibit.web.officer.downloads import download_derivative, download_original, preview
from exhibit.web.officer.items import (
    accept_item,
    bulk_action,
    categorise_item,
    decline_item,
    item_page,
    mark_sensitive,
    process_item_again,
    release_item,
    tag_item,
)
from exhibit.web.officer.outbox import outbox_page
from exhibit.web.officer.request_actions import extend, resend, revoke
from exhibit.web.officer.requests import new_request_form, new_request_submit
from exhibit.web.officer.set_password import set_password_form, set_password_submit
from exhibit.web.officer.shares import SHARE_HANDLERS
from exhibit.web.officer.sign_in import home, sign_in_form, sign_in_submit, sign_out
from exhibit.web.officer.signed_in import signed_in_user
from exhibit.web.officer.tokens import create_token, revoke_token, tokens_page
from exhibit.web.officer.two_factor import code_form, code_submit, setup_form, setup_submit


def officer_router() -> Router:
    """Every officer page, under the site root."""
    return Router(
        path="/",
        route_handlers=[
            home,
            sign_in_form,
            sign_in_submit,
            sign_out,
            code_form,
            code_submit,
            setup_form,
            setup_submit,
            tokens_page,
            create_token,
            revoke_token,
            audit_page,
            audit_csv,
            audit_chain,
            audit_verify,
            *ADMIN_USER_HANDLERS,
            *ADMIN_ACCESS_HANDLERS,
            *ADMIN_FORCE_HANDLERS,
            *ADMIN_LOGO_HANDLERS,
            *ADMIN_PLUGIN_HANDLERS,
            set_password_form,
            set_password_submit,
            cases_page,
            open_case_submit,
            case_page,
            *CASE_DETAIL_HANDLERS,
            *CASE_CLOSURE_HANDLERS,
            new_request_form,
            new_request_submit,
            resend,
            extend,
            revoke,
            outbox_page,
            item_page,
            accept_item,
            decline_item,
            tag_item,
            categorise_item,
            mark_sensitive,
            release_item,
            process_item_again,
            bulk_action,
            preview,
            download_original,
            download_derivative,
            ask_disposal,
            disposals_page,
            approve_form,
            approve,
            refuse,
            continuity_page,
            continuity_csv,
            *CASE_CONTINUITY_HANDLERS,
            *SHARE_HANDLERS,
            categories_page,
            add_category_submit,
            change_category,
        ],
        dependencies={"user": Provide(signed_in_user)},
        include_in_schema=False,
    )
