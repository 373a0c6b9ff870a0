"""The application factory: one Litestar app over one ``Platform``."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from exhibit import __version__
from exhibit.api.router import api_router
from exhibit.operations.readiness import SchemaCheck
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_plugins
from exhibit.settings import Settings
from exhibit.startup import check_ready
from exhibit.uploads.tus.handlers import TusController
from exhibit.web.assets import static_files_router
from exhibit.web.citizen import CitizenPages
from exhibit.web.csrf import ForgetStaleCsrfCookie, csrf_config, csrf_secret
from exhibit.web.errors import EXCEPTION_HANDLERS
from exhibit.web.force_logo import force_logo
from exhibit.web.health import healthz, readiness_endpoint
from exhibit.web.officer import officer_router
from exhibit.web.plugin_routes import plugin_routers
from exhibit.web.request_guard import guard_request
from exhibit.web.security import add_security_headers
from exhibit.web.session_config import session_config
from exhibit.web.sessions import DatabaseStore

TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: Settings, plugins: Plugins | None = None) -> Litestar:
    """Build the app for ``settings`` with ``plugins`` (default: every installed plugin)."""
    platform = Platform(settings, plugins or load_plugins())
    metrics_handlers, metrics_middleware = _metrics(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await check_ready(platform)
        worker_task = None
        stop = asyncio.Event()
        if settings.run_worker_in_app:
            from exhibit.jobs.worker import run_worker_until_stopped

            worker_task = asyncio.create_task(run_worker_until_stopped(platform, stop))
        try:
            yield
        finally:
            stop.set()
            if worker_task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker_task
            await platform.close()

    return Litestar(
        route_handlers=[
            officer_router(),
            healthz,
            force_logo,
            readiness_endpoint(SchemaCheck(platform.plugins)),
            *metrics_handlers,
            api_router(),
            TusController,
            CitizenPages,
            static_files_router(),
            *plugin_routers(platform.plugins),
        ],
        dependencies={"platform": Provide(lambda: platform, use_cache=True, sync_to_thread=False)},
        lifespan=[lifespan],
        before_request=guard_request,
        before_send=[add_security_headers],
        middleware=[
            *metrics_middleware,
            ForgetStaleCsrfCookie(csrf_secret(settings)),
            session_config(settings).middleware,
        ],
        stores={"sessions": DatabaseStore(platform.sessions)},
        csrf_config=csrf_config(settings),
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=TemplateConfig(instance=_template_engine(platform.plugins)),
        openapi_config=OpenAPIConfig(
            title="Exhibit",
            version=__version__,
            path="/schema",
            # The document only: Litestar's viewers (Swagger, Redoc...) load their scripts from
            # a CDN, which no Exhibit page does (and the CSP would block them anyway).
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
            use_handler_docstrings=True,  # each operation's rules, as its handler says them
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="A personal API token"
                    )
                }
            ),
        ),
        state=State({"platform": platform}),
        # Litestar's own records go to the root logger like Exhibit's, through the handlers the
        # process set up (``exhibit serve``'s redact links). Its default set-up would replace
        # the root's handlers, give the "litestar" logger an unfiltered handler of its own, and
        # start a queue-listener thread with every app.
        logging_config=None,
    )


def _metrics(settings: Settings) -> tuple[list[HTTPRouteHandler], list[ASGIMiddleware]]:
    """``GET /metrics`` and the middleware counting requests, when the operator set a metrics
    token; nothing otherwise (``/metrics`` is then a 404, and prometheus_client, ~10 MiB in
    every process, is not even imported)."""
    if settings.metrics_token is None:
        return [], []
    from exhibit.web.metrics import metrics_endpoint
    from exhibit.web.request_metrics import RequestMetrics, RequestMetricsMiddleware

    request_metrics = RequestMetrics()
    return [metrics_endpoint(request_metrics)], [RequestMetricsMiddleware(request_metrics)]


def _template_engine(plugins: Plugins) -> JinjaTemplateEngine:
    """Core templates, plus each plugin's folder addressed as ``<plugin id>/<name>``."""
    loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES),
            PrefixLoader(
                {pid: FileSystemLoader(path) for pid, path in plugins.template_dirs.items()}
            ),
        ]
    )
    return JinjaTemplateEngine.from_environment(Environment(loader=loader, autoescape=True))
