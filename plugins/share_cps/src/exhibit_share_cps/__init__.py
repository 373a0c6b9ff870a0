"""Exhibit plugin ``share_cps``: sharing evidence with the Crown Prosecution Service, verifiably.

Registered under the ``exhibit`` entry-point group as ``share_cps``. It offers two share
targets (``cps_portal``: the prosecutor's partner area; ``cps_drop``: the signed bundle pushed
to the partner's S3 bucket or SFTP server), their delivery job, its configuration (CPS units
and the drop location), the prosecutor's partner area (invitation by email, password and
two-factor sign-in, shares and downloads) and the ``exhibit share_cps public-key`` command.
The sharing rules, bundles and ``exhibit verify`` live in the core (``exhibit.sharing``).
"""

from collections.abc import Sequence
from pathlib import Path

import click
import msgspec
from litestar.types import ControllerRouterHandler

from exhibit.jobs.handlers import JobHandler
from exhibit.plugins import hookimpl
from exhibit.sharing.target import ShareTarget, delivery_job_kind
from exhibit_share_cps.cli import public_key
from exhibit_share_cps.config import ShareCpsConfig
from exhibit_share_cps.jobs import deliver_and_invite
from exhibit_share_cps.partner import PartnerArea
from exhibit_share_cps.partner_cli import partner_end, partner_reset, partners
from exhibit_share_cps.settings_check import check_settings
from exhibit_share_cps.targets import CpsDrop, CpsPortal

PLUGIN_ID = "share_cps"


@hookimpl
def exhibit_plugin_config() -> type[msgspec.Struct]:
    """CPS units and the drop location, per force."""
    return ShareCpsConfig


@hookimpl
def exhibit_share_targets() -> Sequence[type[ShareTarget]]:
    """The partner portal and the partner drop."""
    return [CpsPortal, CpsDrop]


@hookimpl
def exhibit_job_handlers() -> dict[str, JobHandler]:
    """Delivery of this plugin's shares (and partner invitations), retried by the job queue."""
    return {delivery_job_kind(PLUGIN_ID): deliver_and_invite}


@hookimpl
def exhibit_cli_commands() -> Sequence[click.Command]:
    """``exhibit share_cps public-key``, and the partner accounts' ``partners``,
    ``partner-reset`` and ``partner-end``."""
    return [public_key, partners, partner_reset, partner_end]


@hookimpl
def exhibit_web_routes() -> Sequence[ControllerRouterHandler]:
    """The prosecutor's partner area, under ``/plugins/share_cps/<force>/partner/``."""
    return [PartnerArea]


@hookimpl
def exhibit_template_dir() -> Path:
    """The partner area's templates (``share_cps/<name>``)."""
    return Path(__file__).parent / "templates"


@hookimpl
async def exhibit_check_settings(config: ShareCpsConfig) -> Sequence[str]:
    """The drop location works: the SFTP server proves its host key, takes the login and
    lets the user write in the folder; or the S3 bucket takes the credentials and a probe.
    """
    return await check_settings(config)
