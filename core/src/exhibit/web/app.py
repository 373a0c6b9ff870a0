"""The application factory: one Litestar app over one ``Platform``."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from exhibit import __version__
from exhibit.api.router import api_router
from exhibit.platform import Platform
from exhibit.plugins.manager import Plugins, load_plugins
from exhibit.settings import Settings
from exhibit.startup import check_ready
from exhibit.web.health import healthz
from exhibit.web.plugin_routes import plugin_routers
from exhibit.web.security import SECURITY_HEADERS

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"


@get("/", include_in_schema=False)
async def home(platform: NamedDependency[Platform]) -> Template:
    """The landing page."""
    return Template("core/home.html", context={"version": __version__})


def create_app(settings: Settings, plugins: Plugins | None = None) -> Litestar:
    """Build the app for ``settings`` with ``plugins`` (default: every installed plugin)."""
    platform = Platform(settings, plugins or load_plugins())

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
        route_handlers=[home, healthz, api_router(), *plugin_routers(platform.plugins)],
        dependencies={"platform": Provide(lambda: platform, use_cache=True, sync_to_thread=False)},
        lifespan=[lifespan],
        response_headers=SECURITY_HEADERS,
        template_config=TemplateConfig(instance=_template_engine(platform.plugins)),
        openapi_config=OpenAPIConfig(
            title="Exhibit",
            version=__version__,
            path="/schema",
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="A personal API token"
                    )
                }
            ),
        ),
        state=State({"platform": platform}),
    )


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
