"""Checking that a page refused a form the GOV.UK way (https://design-system.service.gov.uk/
components/error-summary/): status 400, the error summary's link leading to the field, the
field marked with the message beside it and what was typed still in it, and its form left
to the server (``novalidate``, no ``required`` bubble)."""

import re

from httpx import Response
from markupsafe import escape

_SUMMARY = re.compile(r'<div class="govuk-error-summary".*?</ul>', re.S)


def assert_refused_by_field(response: Response, field: str, message: str, typed: str) -> None:
    """``response`` is the page again (400) with ``message`` against the input ``field``,
    which still holds ``typed``."""
    text = response.text
    assert response.status_code == 400, response.status_code
    summary = _SUMMARY.search(text)
    assert summary, "no error summary"
    assert f'<a href="#{field}">{escape(message)}</a>' in summary.group(0)
    found = re.search(rf'<input [^>]*\bid="{field}"[^>]*>', text)
    assert found, f"no input {field}"
    tag = found.group(0)
    assert "govuk-input--error" in tag
    assert f'value="{escape(typed)}"' in tag
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
