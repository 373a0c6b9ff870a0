"""The ``/api/v1`` router: every route in it needs an API token."""

from litestar import Router
from litestar.di import Provide

from exhibit.api.case_changes import CaseChangesController
from exhibit.api.cases import CasesController
from exhibit.api.disposals import DisposalsController
from exhibit.api.errors import document_common_errors
from exhibit.api.force import ForceController
from exhibit.api.item_feed import ItemFeedController
from exhibit.api.items import ItemsController
from exhibit.api.outbox import OutboxController
from exhibit.api.plugins import PluginsController
from exhibit.api.requests import RequestsController
from exhibit.api.shares import SharesController
from exhibit.web.auth import current_user


def api_router() -> Router:
    """The version 1 JSON API."""
    router = Router(
        path="/api/v1",
        route_handlers=[
            CasesController,
            CaseChangesController,
            DisposalsController,
            ForceController,
            ItemFeedController,
            ItemsController,
            OutboxController,
            PluginsController,
            RequestsController,
            SharesController,
        ],
        dependencies={"user": Provide(current_user)},
        security=[{"BearerToken": []}],
    )
    return document_common_errors(router)
