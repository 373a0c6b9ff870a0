"""Checking that a page refused a form the GOV.UK way (https://design-system.service.gov.uk/
components/error-summary/): status 400, the error summary's link leading to the field, the
field marked with the message beside it and what was typed still in it, and its form left
to the server (``novalidate``, no ``required`` bubble)."""

import re

from httpx import Response
from markupsafe import escape

_SUMMARY = re.compile(r'<div class="govuk-error-summary".*?</ul>', re.S)


def assert_refused_by_field(response: Response, field: str, message: str, typed: str) -> None:
    """``response`` is the page again (400) with ``message`` against the control ``field``
    (an input, a textarea or a select), which still shows ``typed``: an input's value, a
    textarea's text, a select's chosen option ("" when none is)."""
    text = response.text
    assert response.status_code == 400, response.status_code
    summary = _SUMMARY.search(text)
    assert summary, "no error summary"
    assert f'<a href="#{field}">{escape(message)}</a>' in summary.group(0)
    found = re.search(rf'<(input|textarea|select) [^>]*\bid="{field}"[^>]*>', text)
    assert found, f"no control {field}"
    kind, tag = found.group(1), found.group(0)
    assert f"govuk-{kind}--error" in tag
    assert _shown(kind, tag, text[found.end() :]) == escape(typed), f"{field} lost what was typed"
    assert not re.search(r"\srequired[\s>=]", tag)
    described = re.search(r'aria-describedby="([^"]*)"', tag)
    assert described and f"{field}-error" in described.group(1).split()
    error = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', text, re.S)
    assert error and escape(message) in error.group(1)
    before = text[: found.start()]
    group = before.rsplit('<div class="govuk-form-group', 1)[1].split(">", 1)[0]
    assert "govuk-form-group--error" in group
    form = before.rsplit("<form ", 1)[1].split(">", 1)[0]
    assert "novalidate" in form, form


def _shown(kind: str, tag: str, after: str) -> str | None:
    """What the control shows, as the page's HTML writes it."""
    if kind == "textarea":
        return after.split("</textarea>", 1)[0]
    if kind == "select":
        options = after.split("</select>", 1)[0]
        chosen = re.search(r'<option value="([^"]*)"[^>]*\sselected[\s>]', options)
        return chosen.group(1) if chosen else ""
    value = re.search(r'\svalue="([^"]*)"', tag)
    return value.group(1) if value else None
