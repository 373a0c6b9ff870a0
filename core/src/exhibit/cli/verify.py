"""``exhibit verify BUNDLE --public-key FILE``: check a share bundle offline."""

from pathlib import Path

import click

from exhibit.sharing.bundle_verify import load_public_key, verify_bundle


@click.command("verify")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The force's public key (PEM, from `exhibit share_cps public-key`).",
)
def verify(bundle: Path, public_key_file: Path) -> None:
    """Check a share bundle: every file's hash, the manifest's signature, the audit chain.

    Needs no database or network. Exits 0 when every check passes; otherwise names each
    failure and exits 1.
    """
    try:
        public_key = load_public_key(public_key_file.read_bytes())
    except ValueError as exc:
        raise click.ClickException(f"{public_key_file}: {exc}") from None
    report = verify_bundle(bundle, public_key)
    if report.ok:
        click.echo(
            f"OK: {report.exhibits} exhibits match the signed manifest; "
            f"{report.audit_events} audit events chain correctly"
        )
        return
    for finding in report.findings:
        click.echo(f"FAILED {finding}", err=True)
    raise SystemExit(1)
