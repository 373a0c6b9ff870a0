"""``/outbox``: messages the built-in outbox holds for the force, for a trial without a
messaging provider. The officer passes the link on by hand; every reading is audited."""

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Template

from exhibit.accounts.models import User
from exhibit.accounts.permissions import Permission
from exhibit.forces.transaction import force_transaction
from exhibit.notifications.outbox_reader import read_outbox
from exhibit.platform import Platform
from exhibit.web.officer.pages import AnyRequest, page


@get("/outbox", include_in_schema=False, opt={"permission": Permission.MANAGE_REQUESTS})
async def outbox_page(
    request: AnyRequest, platform: NamedDependency[Platform], user: NamedDependency[User]
) -> Template:
    """The newest messages held for the force, newest first (those who manage requests)."""
    async with force_transaction(platform, user.force_id) as tx:
        messages = await read_outbox(tx, platform.secret_box, user_id=user.id, via="web")
    return page(request, "outbox.html", user=user, messages=messages)
