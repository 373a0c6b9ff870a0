"""The authorisation matrix: every route of the web app and the API, checked against every
kind of caller.

Routes are read from the app itself, so a new route is checked as soon as it exists: it is
either public (and listed in ``PUBLIC`` here, with the reason) or it takes the signed-in
``user`` and declares a permission, and then

- an anonymous caller is refused (sent to sign in, or 401 from the API);
- a user whose role lacks the permission gets 403;
- a user of another force gets 404 for any path naming an id of this force, never the data;
- a user whose role has the permission is not refused;
- an integer id past what the database stores (32 bits on PostgreSQL) is 404 for that user,
  not an error.

Path parameters are filled from rows of the signed-in user's own force (``IDS``); a route with
a parameter this test does not know fails, so that its rule gets written.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from exhibit.accounts.models import Role
from exhibit.accounts.permissions import ROLE_PERMISSIONS, Permission
from exhibit.accounts.service import create_api_token, create_user
from exhibit.db.base import utcnow
from exhibit.evidence.models import Category, DisposalRequest
from exhibit.forces.transaction import force_transaction
from exhibit.platform import Platform
from exhibit.plugins.manager import load_builtin_plugins
from exhibit.settings import Settings
from exhibit.sharing.models import Share
from exhibit.web.app import create_app
from exhibit.web.csrf import CSRF_COOKIE
from tests.evidence.arrivals import arrived, png, with_derivative
from tests.fixtures.officer import HOST, PASSWORD, Person, form_token
from tests.fixtures.two_factor import enrol, next_code
from tests.fixtures.witness import Scene, make_scene

PUBLIC = {
    r"^/$": "sends the browser to sign in or to its cases",
    r"^/sign-in$": "the sign-in form",
    r"^/sign-in/(code|two-factor)$": "the second step of signing in (needs the pending marker)",
    r"^/set-password/": "a new user's one-time link (the token is the credential)",
    r"^/u/": "the witness's pages (the link's token is the credential)",
    r"^/uploads": "tus uploads (the link's token is the credential)",
    r"^/healthz$": "the load balancer's health check",
    r"^/readyz$": "the orchestrator's readiness probe",
    r"^/metrics$": "Prometheus's scrape (the operator's metrics token is the credential)",
    r"^/forces/[^/]+/logo/": "a force's logo, shown on the witness's pages",
    r"^/static": "built front-end assets",
    r"^/schema": "the OpenAPI schema",
    r"^/plugins/": "plugin routes (guarded per force by exhibit.web.plugin_routes)",
}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
KENT_MARKERS = ("KENT/123/26", "Sam Witness", "officer@kent.test")


@dataclass
class World:
    """Rows of one force that path parameters are filled from."""

    scene: Scene
    spare_user_id: int
    spare_token_id: int
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """One route and method, with the permission it declares (None if it declares none)."""

    method: str
    path: str
    params: dict[str, type]
    takes_user: bool
    permission: Permission | None

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def names_an_id(self) -> bool:
        return any(IDS[name][1] for name in self.params if name in IDS)

    @property
    def takes_an_integer(self) -> bool:
        return int in self.params.values()

    @property
    def permitted_role(self) -> Role:
        """A role that has the route's permission."""
        return next(r for r in Role if self.permission in ROLE_PERMISSIONS[r])


# How each path parameter is filled from a force's rows, and whether it names a row of the
# force (another force's user must then get 404).
IDS: dict[str, tuple[Callable[[World], object], bool]] = {
    "case_id": (lambda w: w.scene.case_id, True),
    "request_id": (lambda w: w.scene.request_id, True),
    "user_id": (lambda w: w.spare_user_id, True),
    "plugin_id": (lambda w: "share_cps", False),
    "token_id": (lambda w: w.spare_token_id, True),
    "item_id": (lambda w: w.values["item_id"], True),
    "derivative_id": (lambda w: w.values["derivative_id"], True),
    "category_id": (lambda w: w.values["category_id"], True),
    "disposal_id": (lambda w: w.values["disposal_id"], True),
    "share_id": (lambda w: w.values["share_id"], True),
}


async def _evidence_rows(platform: Platform, scene: Scene) -> dict[str, object]:
    """An item with a derivative, a category, a pending disposal and a share, in one force."""
    item_id = await arrived(platform, scene, png(), filename="matrix.png")
    derivative = await with_derivative(platform, scene, item_id, png(8, 8))
    async with force_transaction(platform, scene.force_id) as tx:
        rows: list[Category | DisposalRequest | Share] = [
            Category(force_id=scene.force_id, name="Matrix", retention_days=30),
            DisposalRequest(
                force_id=scene.force_id,
                item_id=item_id,
                requested_by=scene.officer_id,
                reason="matrix",
            ),
            Share(
                force_id=scene.force_id,
                case_id=scene.case_id,
                target="cps_email",
                recipient="unit@cps.test",
                expires_at=utcnow() + timedelta(days=1),
            ),
        ]
        tx.session.add_all(rows)
        await tx.session.flush()
        category_id, disposal_id, share_id = (row.id for row in rows)
    return {
        "item_id": item_id,
        "derivative_id": derivative.id,
        "category_id": category_id,
        "disposal_id": disposal_id,
        "share_id": share_id,
    }


# A valid body for routes that take one, so that another force's user reaches the lookup
# (and its 404) rather than a 400 for the body: JSON for the API, a form for the web app.
Body = Callable[["World"], dict[str, object]]
BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/api/v1/cases"): lambda w: {"reference": "KENT/999/26"},
    ("POST", "/api/v1/cases/{case_id:int}/requests"): lambda w: {
        "recipient_name": "A Witness",
        "channels": ["sms"],
        "phone": "07911 123456",
    },
    ("PATCH", "/api/v1/cases/{case_id:int}"): lambda w: {"title": "Matrix"},
    ("POST", "/api/v1/cases/{case_id:int}/close"): lambda w: {"reason": "matrix"},
    ("POST", "/api/v1/cases/{case_id:int}/reopen"): lambda w: {"reason": "matrix"},
    ("POST", "/api/v1/cases/{case_id:int}/shares"): lambda w: {
        "item_ids": [w.values["item_id"]],
        "target": "email",
        "expires_in_days": 7,
        "recipient": "unit@cps.test",
    },
    ("POST", "/api/v1/requests/{request_id:int}/extend"): lambda w: {"days": 3},
    ("POST", "/api/v1/requests/{request_id:int}/revoke"): lambda w: {"reason": "matrix"},
    ("PUT", "/api/v1/plugins/force/{plugin_id:str}"): lambda w: {"enabled": True},
    ("PUT", "/api/v1/items/{item_id:int}/category"): lambda w: {"category_id": None},
    ("POST", "/api/v1/items/{item_id:int}/decline"): lambda w: {"reason": "matrix"},
    ("POST", "/api/v1/items/{item_id:int}/disposal"): lambda w: {"reason": "matrix"},
    ("POST", "/api/v1/items/{item_id:int}/release"): lambda w: {"reason": "matrix"},
    ("PUT", "/api/v1/items/{item_id:int}/sensitive"): lambda w: {"sensitive": True, "reason": "m"},
    ("PUT", "/api/v1/items/{item_id:int}/tags"): lambda w: {"tags": ["matrix"]},
    ("POST", "/api/v1/shares/{share_id:int}/revoke"): lambda w: {"reason": "matrix"},
    ("POST", "/api/v1/disposals/{disposal_id:int}/approve"): lambda w: {"reason": "matrix"},
    ("POST", "/api/v1/disposals/{disposal_id:int}/refuse"): lambda w: {"reason": "matrix"},
    ("POST", "/cases/{case_id:int}/items/bulk"): lambda w: {
        "action": "tag",
        "item": w.values["item_id"],
        "tags": "matrix",
    },
    ("POST", "/admin/users/{user_id:int}/role"): lambda w: {"role": "supervisor"},
}


def _public(path: str) -> bool:
    return any(re.search(pattern, path) for pattern in PUBLIC)


def rules(app: Litestar) -> list[Rule]:
    """Every (method, path) the app serves, with what it declares."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, entry in route.route_handler_map.items():
            if method in SKIPPED_METHODS:
                continue
            handler = entry[0] if isinstance(entry, tuple) else entry
            permission = handler.opt.get("permission")
            found.append(
                Rule(
                    method=str(method),
                    path=route.path,
                    params={p.name: p.type for p in route.path_parameters.values()}
                    if isinstance(route.path_parameters, dict)
                    else {p.name: p.type for p in route.path_parameters},
                    takes_user="user" in handler.parsed_fn_signature.parameters,
                    permission=permission if isinstance(permission, Permission) else None,
                )
            )
    return sorted(found, key=lambda r: (r.path, r.method))


ROW_ID_PAST_RANGE = 2**31  # one more than the largest key PostgreSQL stores (INTEGER)


def _fill(rule: Rule, world: World, past_range: bool = False) -> str:
    path = rule.path
    for name, kind in rule.params.items():
        assert name in IDS, f"{rule.method} {rule.path}: add how to fill {{{name}}} to IDS"
        value = ROW_ID_PAST_RANGE if past_range and kind is int else IDS[name][0](world)
        path = re.sub(r"\{" + name + r"(:[a-z]+)?\}", str(value), path)
    return path


class Callers:
    """One browser that takes on each caller's cookies in turn (one app, one event loop).

    Each role of each force has a signed-in session and an API token; ``anonymous`` has none.
    """

    def __init__(self, client: AsyncTestClient[Litestar], platform: Platform) -> None:
        self.client = client
        self.platform = platform
        self.jars: dict[tuple[str, Role], httpx.Cookies] = {}
        self.tokens: dict[tuple[str, Role], str] = {}

    async def add(self, slug: str, force_id: int, role: Role) -> None:
        """Make a user of ``role`` in force ``slug``, sign them in (with a code) and keep both."""
        email = f"matrix-{role.value}@{slug}.test"
        async with self.platform.force_session(force_id) as session:
            user = await create_user(
                session,
                force_id,
                email=email,
                name=f"{role.value} {slug}",
                role=role,
                password=PASSWORD,
                actor="test",
            )
            _, token = await create_api_token(session, user, name="matrix", actor="test")
            await session.commit()
        enrolled = await enrol(self.platform, Person(force_id, user.id, email))
        client = self.anonymous()
        page = await client.get("/sign-in")
        await client.post(
            "/sign-in",
            data={"email": email, "password": PASSWORD, "_csrf_token": form_token(page.text)},
        )
        done = await _post_form(client, "/sign-in/code", {"code": await next_code(enrolled.secret)})
        assert done.url.path == "/cases", f"{email} did not get signed in"
        self.jars[slug, role] = httpx.Cookies(client.cookies)
        self.tokens[slug, role] = token

    def anonymous(self) -> AsyncTestClient[Litestar]:
        """The browser with no cookies."""
        self.client.cookies.clear()
        return self.client

    def as_(self, slug: str, role: Role) -> AsyncTestClient[Litestar]:
        """The browser with the cookies of ``role``'s session in force ``slug``."""
        self.client.cookies.clear()
        self.client.cookies.update(self.jars[slug, role])
        return self.client

    async def call_as(
        self, slug: str, role: Role, rule: "Rule", world: "World", past_range: bool = False
    ) -> httpx.Response:
        """``call`` the route as ``role`` of force ``slug`` (its session, or its token)."""
        web, token = self.as_(slug, role), self.tokens[slug, role]
        return await call(rule, world, web=web, token=token, past_range=past_range)


async def _post_form(
    client: AsyncTestClient[Litestar], url: str, data: dict[str, object]
) -> httpx.Response:
    token = client.cookies.get(CSRF_COOKIE)
    return await client.post(url, data={**data, "_csrf_token": token or ""})


async def call(
    rule: Rule,
    world: "World",
    *,
    web: AsyncTestClient[Litestar],
    token: str | None,
    past_range: bool = False,
) -> httpx.Response:
    """Call the route with ids of ``world``'s force (or integers no row can have), as it
    expects: JSON with a token for the API, a form with the browser's CSRF token for the web
    app."""
    path = _fill(rule, world, past_range)
    body = BODIES[rule.method, rule.path](world) if (rule.method, rule.path) in BODIES else {}
    if rule.is_api:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if rule.method in ("GET", "DELETE"):
            return await web.request(rule.method, path, headers=headers, follow_redirects=False)
        return await web.request(
            rule.method, path, json=body, headers=headers, follow_redirects=False
        )
    if rule.method == "GET":
        return await web.get(path, follow_redirects=False)
    if web.cookies.get(CSRF_COOKIE) is None:
        await web.get("/sign-in")
    return await web.request(
        rule.method,
        path,
        data={**body, "_csrf_token": web.cookies.get(CSRF_COOKIE) or ""},
        follow_redirects=False,
    )


def _signed_in_page(response: httpx.Response) -> bool:
    return response.status_code in (302, 303) and response.headers["location"].startswith(
        "/sign-in"
    )


async def test_every_route_is_public_or_declares_a_permission(settings: Settings) -> None:
    app = create_app(settings, load_builtin_plugins())
    undeclared = [
        f"{r.method} {r.path}"
        for r in rules(app)
        if not _public(r.path) and not (r.takes_user and r.permission is not None)
    ]
    assert undeclared == [], "routes that neither are public nor declare a permission"
    # The allowlist holds no route that takes the signed-in user (it would be checked below).
    assert [f"{r.method} {r.path}" for r in rules(app) if _public(r.path) and r.takes_user] == []


async def test_every_protected_route_refuses_whoever_may_not_use_it(
    settings: Settings, platform: Platform
) -> None:
    kent, essex = await make_scene(platform, "kent"), await make_scene(platform, "essex")
    async with platform.force_session(kent.force_id) as session:
        spare = await create_user(
            session,
            kent.force_id,
            email="spare@kent.test",
            name="Spare",
            role=Role.OFFICER,
            password=PASSWORD,
            actor="test",
        )
        spare_token, _ = await create_api_token(session, spare, name="spare", actor="test")
        await session.commit()
    world = World(kent, spare.id, spare_token.id, await _evidence_rows(platform, kent))
    app = create_app(settings, load_builtin_plugins())
    protected = [r for r in rules(app) if not _public(r.path)]
    assert len(protected) >= 20
    problems: list[str] = []
    async with AsyncTestClient(app=app, base_url=f"http://{HOST}") as client:
        callers = Callers(client, platform)
        for role in Role:
            await callers.add("kent", kent.force_id, role)
            await callers.add("essex", essex.force_id, role)
        for rule in protected:
            problems += await _refusals(rule, world, callers)
        # Last, the permitted calls (they may change things), sign-out at the very end.
        for rule in sorted(protected, key=lambda r: r.path == "/sign-out"):
            assert rule.permission is not None
            role = rule.permitted_role
            response = await callers.call_as("kent", role, rule, world)
            if rule.path == "/sign-out" and _signed_in_page(response):
                continue  # signed out, as asked
            if response.status_code in (401, 403) or _signed_in_page(response):
                problems.append(
                    f"{rule.method} {rule.path}: {role} refused ({response.status_code})"
                )
            elif response.status_code >= 500:
                problems.append(f"{rule.method} {rule.path}: {role} got {response.status_code}")
    assert problems == [], "\n".join(problems)


async def _refusals(rule: Rule, world: World, callers: Callers) -> list[str]:
    problems = []
    where = f"{rule.method} {rule.path}"
    assert rule.permission is not None, where
    refused = await call(rule, world, web=callers.anonymous(), token=None)
    if rule.is_api and refused.status_code != 401:
        problems.append(f"{where}: anonymous got {refused.status_code}, not 401")
    if not rule.is_api and not _signed_in_page(refused):
        problems.append(f"{where}: anonymous got {refused.status_code}, not sent to sign in")

    lacking = [r for r in Role if rule.permission not in ROLE_PERMISSIONS[r]]
    for role in lacking:
        response = await callers.call_as("kent", role, rule, world)
        if response.status_code != 403:
            problems.append(f"{where}: {role} (lacks it) got {response.status_code}, not 403")

    if rule.names_an_id:
        role = rule.permitted_role
        response = await callers.call_as("essex", role, rule, world)
        if response.status_code != 404:
            problems.append(f"{where}: another force's {role} got {response.status_code}, not 404")
        leaked = [m for m in KENT_MARKERS if m in response.text]
        if leaked:
            problems.append(f"{where}: another force's {role} saw {leaked}")

    if rule.takes_an_integer:
        response = await callers.call_as("kent", rule.permitted_role, rule, world, past_range=True)
        if response.status_code != 404:
            problems.append(f"{where}: an id of 2**31 got {response.status_code}, not 404")
    return problems


async def test_the_matrix_itself_is_least_privilege() -> None:
    # Roles are not ranked: the admin does not handle evidence; the auditor only reads.
    admin, auditor = ROLE_PERMISSIONS[Role.FORCE_ADMIN], ROLE_PERMISSIONS[Role.AUDITOR]
    assert Permission.REVIEW_EVIDENCE not in admin
    assert Permission.DOWNLOAD_EVIDENCE not in admin
    assert auditor == {Permission.VIEW_CASES, Permission.SEARCH_AUDIT, Permission.OWN_ACCOUNT}
    assert Permission.ADMINISTER_FORCE not in ROLE_PERMISSIONS[Role.SUPERVISOR]
