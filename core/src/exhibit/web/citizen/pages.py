"""``/u/{token}``: the pages a witness opens from the link an officer sent.

The upload page, the list of files received (JSON for the page's script), sending the
submission, and the receipt. The files themselves go to the tus server at ``/uploads/``.
"""

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST, HTTP_410_GONE
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.forces.transaction import force_transaction
from exhibit.i18n import (
    CHARACTER_COUNT_WELSH,
    WELSH,
    choose_language,
    script_strings,
)
from exhibit.platform import Platform
from exhibit.uploads.links import LinkRefused, request_for_token
from exhibit.uploads.models import EvidenceRequest, RequestState
from exhibit.uploads.submissions import MAX_STATEMENT_LENGTH, NothingToSubmit, complete_submission
from exhibit.web.citizen import views
from exhibit.web.citizen.access import CitizenLink, LinkUnavailable, TooManyRequests, provide_link
from exhibit.web.citizen.formatting import exact_size, human_size, long_date
from exhibit.web.citizen.forms import (
    FieldError,
    FinishForm,
    files_error,
    files_out,
    form_errors,
)
from exhibit.web.citizen.rendering import (
    NO_STORE,
    language_cookies,
    link_unavailable_json,
    link_unavailable_page,
    page,
    too_many_requests_json,
    too_many_requests_page,
)


class CitizenPages(Controller):
    """The witness's pages, reached only through the link's token."""

    path = "/u"
    include_in_schema = False
    dependencies = {"link": Provide(provide_link)}
    exception_handlers = {
        LinkUnavailable: link_unavailable_page,
        TooManyRequests: too_many_requests_page,
    }
    # No ``cache_control`` here: ``page`` and each JSON answer send no-store (error pages
    # too), and a layer's header would be sent as a second Cache-Control.
    # The token in the path is the proof of intent, and witnesses never use officer sessions.
    opt = {"exclude_from_csrf": True, "skip_session": True}

    @get("/{token:str}")
    async def upload_page(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        link: NamedDependency[CitizenLink],
    ) -> Response[Any]:
        """The upload page; the first view marks the request opened."""
        if link.state == RequestState.SUBMITTED:
            return _to_receipt(link)
        async with force_transaction(platform, link.force_id) as tx:
            evidence_request = await _reload(tx.session, link)
            await views.mark_opened(tx.session, evidence_request)
            files = await views.file_lists(tx.session, evidence_request)
            chunk_bytes = await views.upload_chunk_bytes(platform, tx.session, link.force_id)
            shown = views.RequestPage.of(evidence_request, chunk_bytes)
        return _upload_page(link, request, shown, files)

    @get(
        "/{token:str}/files",
        exception_handlers={
            LinkUnavailable: link_unavailable_json,
            TooManyRequests: too_many_requests_json,
        },
    )
    async def files(
        self, platform: NamedDependency[Platform], link: NamedDependency[CitizenLink]
    ) -> Response[Any]:
        """The files received so far, and uploads not finished, for the page's script."""
        if link.state == RequestState.SUBMITTED:
            return Response({"problem": "submitted"}, status_code=HTTP_410_GONE, headers=NO_STORE)
        async with platform.force_session(link.force_id) as session:
            files = await views.file_lists(session, await _reload(session, link))
        return Response(files_out(files), headers=NO_STORE)

    @post("/{token:str}/finish")
    async def finish(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        link: NamedDependency[CitizenLink],
        data: URLEncodedBody[FinishForm],
    ) -> Response[Any]:
        """Send the submission, then show the receipt; problems re-show the page.

        The receipt is sent in the language of the page the form was on.
        """
        if link.state == RequestState.SUBMITTED:
            return _to_receipt(link)
        link = _in_posted_language(link, data)
        statement = data.statement.replace("\r\n", "\n").strip()
        errors = form_errors(link.lang, statement, confirmed=data.confirm == "yes")
        if not errors:
            try:
                async with force_transaction(platform, link.force_id) as tx:
                    evidence_request = await _reload(tx.session, link)
                    problem = (await views.file_lists(tx.session, evidence_request)).problem
                    if problem is not None:
                        raise NothingToSubmit(problem)
                    await complete_submission(
                        tx,
                        platform.secret_box,
                        evidence_request,
                        statement=statement,
                        language=link.lang,
                    )
                return _to_receipt(link)
            except NothingToSubmit:
                pass  # the file lists, read again below, say what is missing
            except ValueError:
                errors.append(files_error(link.lang, "error_not_sent"))
        async with platform.force_session(link.force_id) as session:
            evidence_request = await _reload(session, link)
            files = await views.file_lists(session, evidence_request)
            chunk_bytes = await views.upload_chunk_bytes(platform, session, link.force_id)
            shown = views.RequestPage.of(evidence_request, chunk_bytes)
        if files.problem is not None and all(error.field != "files" for error in errors):
            errors.insert(0, files_error(link.lang, files.problem))
        if not errors:  # it failed, yet nothing is wrong now: ask the witness to try again
            errors.append(files_error(link.lang, "error_not_sent"))
        return _upload_page(
            link,
            request,
            shown,
            files,
            errors=errors,
            form={"statement": statement, "confirm": data.confirm == "yes"},
        )

    @get("/{token:str}/finish")
    async def finish_again(self, token: FromPath[str]) -> Redirect:
        """Back to the upload page: after a refused Send the address is ``/finish``, and
        reloading or restoring the tab asks for it again."""
        return Redirect(f"/u/{quote(token, safe='')}", status_code=HTTP_303_SEE_OTHER)

    @get("/{token:str}/receipt")
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        platform: NamedDependency[Platform],
        link: NamedDependency[CitizenLink],
    ) -> Response[Any]:
        """The receipt: reference, and each file's name, size and SHA-256 as stored."""
        if link.state != RequestState.SUBMITTED:
            return Redirect(link.page_path, status_code=HTTP_303_SEE_OTHER)
        async with platform.force_session(link.force_id) as session:
            evidence_request = await session.get(EvidenceRequest, link.request_id)
            shown = await views.receipt(session, evidence_request) if evidence_request else None
        if shown is None:
            return Redirect(link.page_path, status_code=HTTP_303_SEE_OTHER)
        return page(
            "citizen/receipt.html",
            lang=link.lang,
            force=link.force,
            here=f"{link.page_path}/receipt",
            cookies=language_cookies(link, request),
            receipt=shown,
            sent_at=long_date(shown.completed_at, link.lang),
            human_size=lambda size: human_size(size, link.lang),
            exact_size=lambda size: exact_size(size, link.lang),
        )


async def _reload(session: AsyncSession, link: CitizenLink) -> EvidenceRequest:
    """The request again, in the force's session, checked again (it may have changed)."""
    try:
        return await request_for_token(session, link.token)
    except LinkRefused as exc:
        raise LinkUnavailable(exc.problem, link.force, link.lang, link.token) from None


def _in_posted_language(link: CitizenLink, form: FinishForm) -> CitizenLink:
    """The link in the language of the page the form was posted from, where it names one the
    force offers (the cookie that remembers the language may have been refused)."""
    lang = choose_language(form.lang or None, link.lang, welsh_enabled=link.force.welsh_enabled)
    return replace(link, lang=lang)


def _to_receipt(link: CitizenLink) -> Redirect:
    return Redirect(f"{link.page_path}/receipt", status_code=HTTP_303_SEE_OTHER)


def _upload_page(
    link: CitizenLink,
    request: Request[Any, Any, Any],
    shown: views.RequestPage,
    files: views.FileLists,
    *,
    errors: list[FieldError] | None = None,
    form: dict[str, Any] | None = None,
) -> Template:
    lang = link.lang
    errors = errors or []
    return page(
        "citizen/upload.html",
        lang=lang,
        force=link.force,
        here=link.page_path,
        status_code=HTTP_400_BAD_REQUEST if errors else 200,
        cookies=language_cookies(link, request),
        shown=shown,
        files=files,
        errors=errors,
        field_errors={error.field: error.message for error in errors},
        form=form or {"statement": "", "confirm": False},
        finish_action=f"{link.page_path}/finish",
        expires=long_date(shown.expires_at, lang),
        incident_at=long_date(shown.incident_at, lang) if shown.incident_at else None,
        max_size=human_size(shown.max_file_bytes, lang),
        human_size=lambda size: human_size(size, lang),
        statement_limit=MAX_STATEMENT_LENGTH,
        statement_limit_text=f"{MAX_STATEMENT_LENGTH:,}",
        character_count_i18n=CHARACTER_COUNT_WELSH if lang == WELSH else {},
        script_config={
            "token": link.token,
            "filesUrl": f"{link.page_path}/files",
            "uploadEndpoint": views.UPLOAD_ENDPOINT,
            "uploadKey": shown.upload_key,
            "maxFiles": shown.max_files,
            "maxFileBytes": shown.max_file_bytes,
            "chunkSize": shown.chunk_bytes,
            "strings": script_strings(lang),
        },
    )
