"""``exhibit``: the command-line entry point and its commands."""

import asyncio
import json
import logging
import os
import signal
from typing import Any

import click
import msgspec
import uvicorn
from sqlalchemy import select

from exhibit import __version__
from exhibit.accounts.models import Role, User
from exhibit.accounts.service import (
    create_api_token,
    create_user,
    list_api_tokens,
    revoke_api_token,
)
from exhibit.cli.allocator import limit_malloc_arenas
from exhibit.cli.audit import audit
from exhibit.cli.demo import run_demo
from exhibit.cli.evidence import evidence
from exhibit.cli.runtime import run_with_platform, settings_from_environment
from exhibit.cli.verify import verify
from exhibit.forces.plugin_settings import configure_plugin, set_plugin_enabled
from exhibit.forces.service import create_force
from exhibit.forces.transaction import force_by_slug, force_transaction
from exhibit.log_redaction import redact_root_handlers
from exhibit.platform import Platform
from exhibit.plugins.manager import PluginError, load_plugins
from exhibit.secrets import SecretBox
from exhibit.settings import Settings

CLI_ACTOR = "cli"


@click.group(
    name="exhibit", help="Exhibit: receive evidence from the public inside an evidential chain."
)
@click.version_option(__version__, prog_name="exhibit")
def cli() -> None:
    """The ``exhibit`` command group."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    redact_root_handlers()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # httpx logs every request's full URL at INFO; a plugin's URL may be its credential.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Serve the web app and API (and run the job worker in-process on SQLite)."""
    from exhibit.forces.plugin_checks import check_in_background
    from exhibit.startup import check_before_start
    from exhibit.web.app import create_app
    from exhibit.web.log_redaction import uvicorn_log_config

    limit_malloc_arenas()
    settings = _served_settings(host, port)
    # The app checks again as it starts, but an error there ends in uvicorn's traceback.
    run_with_platform(check_before_start, settings)
    try:
        app = create_app(settings)
    except (PluginError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    check_in_background(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        log_config=uvicorn_log_config(),
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
    )


@cli.command()
def worker() -> None:
    """Run background jobs until stopped (any number of workers may share PostgreSQL)."""
    from exhibit.forces.plugin_checks import check_in_background
    from exhibit.jobs.worker import run_worker_until_stopped
    from exhibit.startup import check_before_start

    limit_malloc_arenas()

    async def work(platform: Platform) -> None:
        await check_before_start(platform)
        check_in_background(platform.settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        click.echo("worker started; Ctrl+C stops it after the current job")
        await run_worker_until_stopped(platform, stop)

    run_with_platform(work)


@cli.command()
def migrate() -> None:
    """Bring the database to the newest schema (core and every installed plugin)."""

    # Alembic (with Mako and Pygments, ~10 MiB) loads only in the processes that migrate.
    from exhibit.db.migrate import upgrade_to_head

    async def work(platform: Platform) -> None:
        platform.settings.data_dir.mkdir(parents=True, exist_ok=True)
        await upgrade_to_head(platform.engine, platform.plugins)

    run_with_platform(work)
    click.echo("database is up to date")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
def demo(host: str, port: int) -> None:
    """Set up a demo force with an officer and an admin, print how to sign in, then serve."""
    settings = _served_settings(host, port)
    url = settings.public_url
    click.echo(run_with_platform(lambda platform: run_demo(platform, url), settings))
    serve.callback(host=host, port=port)  # type: ignore[misc]


def _served_settings(host: str, port: int) -> Settings:
    """Settings whose public address follows ``--host``/``--port`` unless one is configured."""
    settings = settings_from_environment()
    if os.environ.get("EXHIBIT_PUBLIC_URL"):
        return settings
    return msgspec.structs.replace(settings, public_url=f"http://{host}:{port}")


@cli.command("secret-key")
def secret_key() -> None:
    """Print a new key for EXHIBIT_SECRET_KEY."""
    click.echo(SecretBox.generate_key())


@cli.group()
def force() -> None:
    """Create forces and configure their plugins."""


@force.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The force's name as witnesses see it.")
@click.option("--contact", default="", help="Contact details shown to witnesses.")
def force_create(slug: str, name: str, contact: str) -> None:
    """Create the force SLUG."""

    async def work(platform: Platform) -> int:
        async with platform.system_session() as session:
            created = await create_force(
                session, slug=slug, name=name, contact_details=contact, actor=CLI_ACTOR
            )
            await session.commit()
            return created.id

    click.echo(f"force {slug} created (id {run_with_platform(work)})")


@force.command("plugin")
@click.argument("slug")
@click.argument("plugin_id")
@click.option("--enable/--disable", default=True, help="Enable (default) or disable it.")
@click.option(
    "--config",
    "config_json",
    default=None,
    help="The new configuration, as JSON (default: keep the stored one).",
)
def force_plugin(slug: str, plugin_id: str, enable: bool, config_json: str | None) -> None:
    """Enable or disable PLUGIN_ID for force SLUG, optionally with a new configuration."""
    try:
        config: Any = None if config_json is None else json.loads(config_json)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--config") from None

    async def work(platform: Platform) -> None:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, slug)).id
        box, plugins = platform.secret_box, platform.plugins
        async with force_transaction(platform, force_id) as tx:
            if config_json is None:
                await set_plugin_enabled(
                    tx.session, plugins, box, force_id, plugin_id, enabled=enable, actor=CLI_ACTOR
                )
                return
            await configure_plugin(
                tx.session,
                plugins,
                box,
                force_id,
                plugin_id,
                enabled=enable,
                config=config,
                actor=CLI_ACTOR,
            )

    run_with_platform(work)
    click.echo(f"plugin {plugin_id} {'enabled' if enable else 'disabled'} for {slug}")


@force.command("logo")
@click.argument("slug")
@click.argument("picture", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--remove", is_flag=True, help="Remove the logo: pages show the name alone.")
def force_logo(slug: str, picture: str | None, remove: bool) -> None:
    """Show PICTURE (PNG, JPEG, WebP or GIF) as force SLUG's logo on the witness's pages."""
    from pathlib import Path

    from exhibit.forces.logo import MAX_UPLOAD_BYTES, LogoRefused, prepare_logo, set_logo

    if remove == (picture is not None):
        raise click.UsageError("give a PICTURE, or --remove")
    logo = None
    if picture is not None:
        with Path(picture).open("rb") as handle:
            data = handle.read(MAX_UPLOAD_BYTES + 1)
        try:
            logo = prepare_logo(data)
        except LogoRefused as exc:
            raise click.ClickException(str(exc)) from None

    async def work(platform: Platform) -> None:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, slug)).id
        async with force_transaction(platform, force_id) as tx:
            await set_logo(tx, logo, actor=CLI_ACTOR)

    run_with_platform(work)
    if logo is None:
        click.echo(f"logo removed for {slug}")
    else:
        click.echo(f"logo set for {slug}: {logo.width}x{logo.height} pixels, sha256 {logo.sha256}")


@force.command("check")
@click.argument("slug")
@click.argument("plugin_id", required=False)
def force_check(slug: str, plugin_id: str | None) -> None:
    """Try force SLUG's plugin settings against their services (PLUGIN_ID, or every enabled one).

    Exits 1 when any check finds a problem.
    """
    from exhibit.forces.plugin_checks import NotCheckable, check_enabled_plugins, check_plugin
    from exhibit.forces.plugin_settings import UnknownPlugin

    async def work(platform: Platform) -> dict[str, list[str]]:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, slug)).id
        if plugin_id is None:
            return await check_enabled_plugins(platform, force_id)
        try:
            return {plugin_id: await check_plugin(platform, force_id, plugin_id)}
        except (UnknownPlugin, NotCheckable) as exc:
            raise click.ClickException(str(exc)) from None

    results = run_with_platform(work)
    if not results:
        click.echo(f"no plugin that {slug} has enabled offers a check")
    for checked, problems in results.items():
        for problem in problems:
            click.echo(f"problem: {checked}: {problem}", err=True)
        if not problems:
            click.echo(f"{checked}: settings checked, no problem")
    if any(results.values()):
        raise SystemExit(1)


@cli.group()
def user() -> None:
    """Manage users."""


@user.command("create")
@click.argument("email")
@click.option("--force", "force_slug", required=True, help="The force the user belongs to.")
@click.option("--name", required=True, help="The user's full name.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.OFFICER.value,
    show_default=True,
    help="The user's role in the force.",
)
@click.password_option(help="The password (asked for when not given).")
def user_create(email: str, force_slug: str, name: str, role: str, password: str) -> None:
    """Create a user EMAIL in a force."""

    async def work(platform: Platform) -> None:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, force_slug)).id
        async with force_transaction(platform, force_id) as tx:
            await create_user(
                tx.session,
                force_id,
                email=email,
                name=name,
                role=Role(role),
                password=password,
                actor=CLI_ACTOR,
            )

    run_with_platform(work)
    click.echo(f"user {email} created in {force_slug} as {role}")


@user.command("reset-two-factor")
@click.argument("email")
@click.option("--force", "force_slug", required=True, help="The force the user belongs to.")
def user_reset_two_factor(email: str, force_slug: str) -> None:
    """Forget EMAIL's authenticator: they set up a new one when they next sign in.

    For an administrator who cannot sign in (a lost phone, or a secret key that changed).
    """
    from exhibit.accounts import two_factor

    async def work(platform: Platform) -> None:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, force_slug)).id
        async with force_transaction(platform, force_id) as tx:
            found = await tx.session.scalar(select(User).where(User.email == email.strip().lower()))
            if found is None:
                raise click.ClickException(f"no user {email} in {force_slug}")
            await two_factor.reset(tx.session, found, actor=CLI_ACTOR)

    run_with_platform(work)
    click.echo(f"{email} will set up two-factor sign-in again when they next sign in")


@cli.group()
def token() -> None:
    """Manage personal API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
def token_create(email: str, name: str) -> None:
    """Create an API token for the user EMAIL; it is shown once only."""
    from exhibit.accounts.models import User

    async def work(platform: Platform) -> str:
        async with platform.system_session() as session:
            found = await session.scalar(select(User).where(User.email == email.strip().lower()))
        if found is None:
            raise LookupError(f"no user {email}")
        async with force_transaction(platform, found.force_id) as tx:
            _, secret = await create_api_token(tx.session, found, name=name, actor=CLI_ACTOR)
        return secret

    secret = run_with_platform(work)
    click.echo("This token is shown once only: store it now, it cannot be shown again.", err=True)
    click.echo(secret)


@token.command("list")
@click.argument("email")
def token_list(email: str) -> None:
    """List the API tokens of the user EMAIL (ids, names, state; never the tokens)."""

    async def work(platform: Platform) -> list[str]:
        found = await _user_by_email(platform, email)
        async with platform.force_session(found.force_id) as session:
            rows = await list_api_tokens(session, found.id)
        return [f"{r.id:<6} {'revoked' if r.revoked_at else 'active':<8} {r.name}" for r in rows]

    for line in run_with_platform(work):
        click.echo(line)


@token.command("revoke")
@click.argument("email")
@click.argument("token_id", type=int)
def token_revoke(email: str, token_id: int) -> None:
    """Revoke the API token TOKEN_ID of the user EMAIL at once (see `exhibit token list`)."""

    async def work(platform: Platform) -> str:
        found = await _user_by_email(platform, email)
        async with force_transaction(platform, found.force_id) as tx:
            row = await revoke_api_token(tx.session, found.id, token_id, actor=CLI_ACTOR)
            if row is None:
                raise LookupError(f"{email} has no token {token_id}")
        return f"token {row.id} ({row.name}) revoked"

    click.echo(run_with_platform(work))


async def _user_by_email(platform: Platform, email: str) -> User:
    async with platform.system_session() as session:
        found = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if found is None:
        raise LookupError(f"no user {email}")
    return found


@cli.group()
def plugins() -> None:
    """Inspect installed plugins."""


@plugins.command("list")
def plugins_list() -> None:
    """List the core and every installed plugin with its version and what it does."""
    try:
        found = load_plugins()
    except PluginError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'exhibit (core)':<24} {__version__}")
    for info in found.installed.values():
        origin = "built in" if info.builtin else info.distribution
        click.echo(f"{info.id:<24} {info.version:<10} {origin:<22} {info.summary}".rstrip())


cli.add_command(audit)
cli.add_command(evidence)
cli.add_command(verify)


def main() -> None:
    """Run the CLI, with every installed plugin's commands under ``exhibit <plugin id>``."""
    try:
        for plugin_id, commands in load_plugins().cli_commands.items():
            group = click.Group(plugin_id, help=f"Commands of the {plugin_id} plugin.")
            for command in commands:
                group.add_command(command)
            cli.add_command(group)
    except PluginError:
        pass  # the command run will report it; `exhibit plugins list` says which plugin
    cli(prog_name="exhibit")
