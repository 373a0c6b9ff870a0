"""``exhibit verify BUNDLE --public-key FILE``: check a share bundle offline."""

from pathlib import Path

import click

from exhibit.sharing.bundle_format import key_fingerprint
from exhibit.sharing.bundle_verify import load_public_key, verify_bundle
from exhibit.sharing.signing import public_raw


@click.command("verify")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The force's public key (PEM, as the force gives it out with "
    "`exhibit share_cps public-key`), or its 64 hexadecimal digits.",
)
def verify(bundle: Path, public_key_file: Path) -> None:
    """Check a share bundle: every file's hash, the manifest's signature, the audit chain.

    Needs no database or network. Exits 0 when every check passes; otherwise names each
    failure and exits 1. The key's fingerprint is printed: check it with the force through
    another channel. docs/verifying-evidence.md explains every message and how to make the
    same checks by hand.
    """
    try:
        public_key = load_public_key(public_key_file.read_bytes())
    except ValueError as exc:
        raise click.ClickException(f"{public_key_file}: {exc}") from None
    fingerprint = key_fingerprint(public_raw(public_key))
    report = verify_bundle(bundle, public_key)
    if report.ok:
        click.echo(
            f"OK: {report.exhibits} exhibits match the signed manifest; "
            f"{report.audit_events} audit events chain correctly"
        )
        click.echo(f"signed with the key whose fingerprint is {fingerprint}")
        return
    for finding in report.findings:
        click.echo(f"FAILED {finding}", err=True)
    raise SystemExit(1)
