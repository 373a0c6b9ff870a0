"""``exhibit share_cps ...``: the force's public signing key, for prosecutors to verify bundles."""

from pathlib import Path

import click

from exhibit.cli.runtime import run_with_platform
from exhibit.forces.transaction import force_by_slug, force_transaction
from exhibit.platform import Platform
from exhibit.sharing.bundle_format import key_fingerprint
from exhibit.sharing.signing import public_key_pem, public_raw, signing_key


@click.command("public-key")
@click.option("--force", "force_slug", required=True, help="The force whose key to export.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the PEM to this file (default: print it).",
)
def public_key(force_slug: str, output: Path | None) -> None:
    """Export the force's bundle-signing public key (PEM); the key is made on first use.

    Its fingerprint goes to standard error, to read out to a prosecutor who checks the key
    they were sent (``exhibit verify`` prints the same).
    """

    async def work(platform: Platform) -> tuple[str, str]:
        async with platform.system_session() as session:
            force_id = (await force_by_slug(session, force_slug)).id
        async with force_transaction(platform, force_id) as tx:
            key = await signing_key(tx.session, platform.secret_box, force_id, actor="cli")
        return public_key_pem(key), key_fingerprint(public_raw(key))

    pem, fingerprint = run_with_platform(work)
    if output is None:
        click.echo(pem, nl=False)
        click.echo(f"fingerprint: {fingerprint}", err=True)
        return
    try:
        output.write_text(pem)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"public key of {force_slug} written to {output}; fingerprint: {fingerprint}")
