"""The ``/api/v1`` router: every route in it needs an API token."""

from litestar import Router
from litestar.di import Provide

from exhibit.api.case_changes import CaseChangesController
from exhibit.api.cases import CasesController
from exhibit.api.disposals import DisposalsController
from exhibit.api.force import ForceController
from exhibit.api.items import ItemsController
from exhibit.api.outbox import OutboxController
from exhibit.api.plugins import PluginsController
from exhibit.api.requests import RequestsController
from exhibit.api.shares import SharesController
from exhibit.web.auth import current_user


def api_router() -> Router:
    """The version 1 JSON API."""
    return Router(
        path="/api/v1",
        route_handlers=[
            CasesController,
            CaseChangesController,
            DisposalsController,
            ForceController,
            ItemsController,
            OutboxController,
            PluginsController,
            RequestsController,
            SharesController,
        ],
        dependencies={"user": Provide(current_user)},
        security=[{"BearerToken": []}],
    )
