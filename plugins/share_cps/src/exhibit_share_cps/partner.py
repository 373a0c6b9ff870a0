"""The prosecutor's partner area: ``/plugins/share_cps/<force>/partner/...``.

A partner accepts an emailed invitation (password and two-factor app), signs in, and sees
only the live portal shares made out to their address: the case reference and, for each
exhibit, its description, reference, the hash of the copy shared and of the original, the
derivative's provenance and its continuity history. Every view and download is audited; a
share revoked or expired is refused on the very next request.
"""

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.accounts.passwords import WeakPassword
from exhibit.accounts.sign_in import Refusal
from exhibit.api.shares import stream_file_then_delete, write_bundle_file
from exhibit.audit import log as audit
from exhibit.cases.models import Case
from exhibit.db.base import utcnow
from exhibit.evidence.continuity import continuity
from exhibit.forces.models import Force
from exhibit.forces.transaction import force_by_slug, force_transaction
from exhibit.platform import Platform
from exhibit.sharing.delivery import bundle_name
from exhibit.sharing.models import PartnerAccount, Share
from exhibit.sharing.partners import (
    PartnerRefused,
    authenticate,
    enrol,
    invitation,
    provisioning_uri,
    two_factor_secret,
)
from exhibit.sharing.service import (
    ShareRefused,
    ShareUnavailable,
    find_share,
    open_share,
    record_access,
    shared_items,
)
from exhibit.web.qr_code import qr_code
from exhibit.web.session_config import rotate_session
from exhibit_share_cps.pages import (
    DOWNLOAD_HEADERS,
    INTEGRITY,
    NO_DOWNLOAD,
    UNAVAILABLE,
    link_refused,
    page,
    refusal,
    see_other,
)
from exhibit_share_cps.targets import CpsPortal

AnyRequest = Request[Any, Any, Any]
PARTNER_ID, PARTNER_FORCE = "share_cps_partner", "share_cps_force"
SIGN_IN_REFUSED = "Email, password or code is wrong"
SIGN_IN_LOCKED = "Too many failed attempts. Wait 15 minutes, then try again."


async def _force(platform: Platform, slug: str) -> Force:
    async with platform.system_session() as session:
        try:
            return await force_by_slug(session, slug)
        except LookupError:
            raise NotFoundException() from None


async def _partner(request: AnyRequest, platform: Platform, force: Force) -> PartnerAccount | None:
    partner_id = request.session.get(PARTNER_ID)
    if not isinstance(partner_id, int) or request.session.get(PARTNER_FORCE) != force.id:
        return None
    async with platform.force_session(force.id) as session:
        account = await session.get(PartnerAccount, partner_id)
    return account if account is not None and account.enrolled_at is not None else None


async def _portal_share(session: AsyncSession, share_id: int, partner: PartnerAccount) -> Share:
    """A live share made out to ``partner`` through the portal; ``ShareUnavailable`` if not.

    A share through another target (a partner drop, another plugin's) is not the portal's to
    show, even when it is made out to the same address.
    """
    share = await open_share(session, share_id, partner.email)
    if share.target != CpsPortal.key:
        raise ShareUnavailable(f"no share {share_id}")
    return share


async def _openable(session: AsyncSession, share: Share) -> bool:
    """Whether every exhibit of a live share may still be given (none withheld since)."""
    try:
        await shared_items(session, share)
    except ShareRefused:
        return False
    return True


class PartnerArea(Controller):
    """The partner's pages, for one force."""

    path = "/{force_slug:str}/partner"
    include_in_schema = False

    @get("/invite/{token:str}")
    async def invitation_form(
        self, platform: NamedDependency[Platform], force_slug: FromPath[str], token: FromPath[str]
    ) -> Template:
        """Set a password and enrol a two-factor app."""
        force = await _force(platform, force_slug)
        async with platform.force_session(force.id) as session:
            try:
                account = await invitation(session, token)
            except PartnerRefused as refused:
                return link_refused(str(refused), force=force)
            secret = two_factor_secret(platform.secret_box, account)
            uri = provisioning_uri(platform.secret_box, account, force.name)
        return page(
            "enrol.html", email=account.email, secret=secret, uri=uri, qr=qr_code(uri), error=None
        )

    @post("/invite/{token:str}")
    async def accept_invitation(
        self,
        request: AnyRequest,
        platform: NamedDependency[Platform],
        force_slug: FromPath[str],
        token: FromPath[str],
    ) -> Response[Any]:
        """Check the code and the password; then the partner may sign in."""
        force = await _force(platform, force_slug)
        form = await request.form()
        password, confirm = str(form.get("password", "")), str(form.get("confirm", ""))
        code = str(form.get("code", ""))
        try:
            if password != confirm:
                raise PartnerRefused("the two passwords differ")
            async with force_transaction(platform, force.id) as tx:
                await enrol(tx.session, platform.secret_box, token, password, code)
        except (PartnerRefused, WeakPassword) as refused:
            # The code was wrong, unless the password was too short or typed differently.
            wrong_code = isinstance(refused, PartnerRefused) and password == confirm
            async with platform.force_session(force.id) as session:
                try:
                    account = await invitation(session, token)
                except PartnerRefused as gone:
                    return link_refused(str(gone), force=force)
                secret = two_factor_secret(platform.secret_box, account)
                uri = provisioning_uri(platform.secret_box, account, force.name)
            return page(
                "enrol.html",
                status_code=400,
                email=account.email,
                secret=secret,
                uri=uri,
                qr=qr_code(uri),
                error=str(refused),
                error_field="code" if wrong_code else "password",
            )
        return see_other(f"/plugins/share_cps/{force.slug}/partner/sign-in")

    @get("/sign-in")
    async def sign_in_form(
        self, platform: NamedDependency[Platform], force_slug: FromPath[str]
    ) -> Template:
        """Email, password and the two-factor code."""
        force = await _force(platform, force_slug)
        return page("sign_in.html", force=force, email="", error=None)

    @post("/sign-in")
    async def sign_in(
        self, request: AnyRequest, platform: NamedDependency[Platform], force_slug: FromPath[str]
    ) -> Response[Any]:
        """Start a partner session, or say (without detail) that something was wrong."""
        force = await _force(platform, force_slug)
        form = await request.form()
        email, password, code = (str(form.get(name, "")) for name in ("email", "password", "code"))
        async with force_transaction(platform, force.id) as tx:
            account = await authenticate(
                tx.session,
                platform.secret_box,
                force.id,
                email,
                password,
                code,
                client=request.client.host if request.client else "",
            )
        if isinstance(account, Refusal):
            locked = account == Refusal.LOCKED
            return page(
                "sign_in.html",
                status_code=429 if locked else 400,
                force=force,
                email=email.strip(),
                error=SIGN_IN_LOCKED if locked else SIGN_IN_REFUSED,
            )
        request.set_session({PARTNER_ID: account.id, PARTNER_FORCE: force.id})
        rotate_session(request)
        return see_other(f"/plugins/share_cps/{force.slug}/partner/")

    @post("/sign-out")
    async def sign_out(
        self, request: AnyRequest, platform: NamedDependency[Platform], force_slug: FromPath[str]
    ) -> Redirect:
        """End the partner's session (audited, as signing in is)."""
        force = await _force(platform, force_slug)
        partner = await _partner(request, platform, force)
        request.clear_session()
        if partner is not None:
            async with force_transaction(platform, force.id) as tx:
                await audit.record(
                    tx.session,
                    force.id,
                    actor=f"partner:{partner.id}",
                    action="partner.signed_out",
                    object_type="partner",
                    object_id=partner.id,
                )
        return see_other(f"/plugins/share_cps/{force.slug}/partner/sign-in")

    @get("/")
    async def shares(
        self, request: AnyRequest, platform: NamedDependency[Platform], force_slug: FromPath[str]
    ) -> Response[Any]:
        """The live shares made out to the signed-in partner."""
        force = await _force(platform, force_slug)
        partner = await _partner(request, platform, force)
        if partner is None:
            return see_other(f"/plugins/share_cps/{force.slug}/partner/sign-in")
        async with platform.force_session(force.id) as session:
            rows = (
                await session.execute(
                    select(Share, Case.reference)
                    .join(Case, Case.id == Share.case_id)
                    .where(
                        Share.recipient == partner.email,
                        Share.target == CpsPortal.key,
                        Share.revoked_at.is_(None),
                        Share.expires_at > utcnow(),
                    )
                    .order_by(Share.id.desc())
                )
            ).all()
            listed = [
                (share, reference, await _openable(session, share)) for share, reference in rows
            ]
        return page("shares.html", force=force, partner=partner, shares=listed)

    @get("/shares/{share_id:int}")
    async def share(
        self,
        request: AnyRequest,
        platform: NamedDependency[Platform],
        force_slug: FromPath[str],
        share_id: FromPath[int],
    ) -> Response[Any]:
        """One share: its exhibits, hashes, provenance and continuity (audited as a view)."""
        force = await _force(platform, force_slug)
        partner = await _partner(request, platform, force)
        if partner is None:
            return see_other(f"/plugins/share_cps/{force.slug}/partner/sign-in")
        async with force_transaction(platform, force.id) as tx:
            try:
                share = await _portal_share(tx.session, share_id, partner)
                copies = await shared_items(tx.session, share)
            except (ShareUnavailable, ValueError):
                return refusal(UNAVAILABLE, status_code=404, force=force, partner=partner)
            case = await tx.session.get(Case, share.case_id)
            # Of the item's shares, only this one's steps: not who else it was shared with.
            history = {
                copy.item.id: [
                    step
                    for step in await continuity(tx.session, copy.item)
                    if step.share_id in (None, share.id)
                ]
                for copy in copies
            }
            await record_access(tx.session, share, "share.viewed", actor=f"partner:{partner.id}")
        return page(
            "share.html",
            force=force,
            partner=partner,
            share=share,
            case=case,
            copies=copies,
            history=history,
        )

    @get("/shares/{share_id:int}/bundle")
    async def bundle(
        self,
        request: AnyRequest,
        platform: NamedDependency[Platform],
        force_slug: FromPath[str],
        share_id: FromPath[int],
    ) -> Response[Any]:
        """Download the share's signed bundle, if the share allows downloads (audited)."""
        force = await _force(platform, force_slug)
        partner = await _partner(request, platform, force)
        if partner is None:
            return see_other(f"/plugins/share_cps/{force.slug}/partner/sign-in")
        actor = f"partner:{partner.id}"
        async with platform.force_session(force.id) as session:
            try:
                allowed = (await _portal_share(session, share_id, partner)).allow_download
            except ShareUnavailable:
                return refusal(UNAVAILABLE, status_code=404, force=force, partner=partner)
        if not allowed:
            return refusal(NO_DOWNLOAD, status_code=403, force=force, partner=partner)
        try:
            path = await write_bundle_file(platform, force.id, share_id, actor, partner.email)
        except (NotFoundException, ValueError):  # revoked meanwhile; an item withheld since
            return refusal(UNAVAILABLE, status_code=404, force=force, partner=partner)
        except ClientException as failed:
            if failed.status_code != 409:
                raise
            return refusal(INTEGRITY, status_code=409, force=force, partner=partner)
        # Audited once the bundle exists: a refused download is not recorded as one.
        async with force_transaction(platform, force.id) as tx:
            share = await find_share(tx.session, share_id)
            await record_access(tx.session, share, "share.downloaded", actor=actor)
        return Stream(
            stream_file_then_delete(path),
            media_type="application/zip",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{bundle_name(force.slug, share_id)}"'
                ),
            }
            | DOWNLOAD_HEADERS,
        )
