"""``exhibit share_cps ...``: the force's public signing key, for prosecutors to verify bundles."""

from pathlib import Path

import click

from exhibit.cli.runtime import run_with_platform
from exhibit.forces.transaction import force_by_slug, force_transaction
from exhibit.platform import Platform
from exhibit.sharing.signing import public_key_pem, signing_key


@click.command("public-key")
@click.option("--force", "force_slug", required=True, help="The force whose key to export.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the PEM to this file (default: print it).",
)
def public_key(force_slug: str, output: Path | None) -> None:
    """Export the force's bundle-signing public key (PEM); the key is made on first use."""

    async def work(platform: Platform) -> str:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, force_slug)).id
        async with force_transaction(platform, force_id) as tx:
            key = await signing_key(tx.session, platform.secret_box, force_id, actor="cli")
        return public_key_pem(key)

    pem = run_with_platform(work)
    if output is None:
        click.echo(pem, nl=False)
        return
    try:
        output.write_text(pem)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"public key of {force_slug} written to {output}")
