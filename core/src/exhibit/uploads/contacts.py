"""Checking and normalising a witness's contact details."""

import re

import phonenumbers

DEFAULT_REGION = "GB"
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


class InvalidContact(ValueError):
    """A phone number or email address cannot be used; the message says which and why."""


def normalise_mobile(number: str, region: str = DEFAULT_REGION) -> str:
    """An E.164 mobile number from international or (UK) national form.

    Raises ``InvalidContact`` for anything that is not a valid number that can take a text.
    """
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        raise InvalidContact(f"{number!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidContact(f"{number!r} is not a valid phone number")
    kind = phonenumbers.number_type(parsed)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidContact(f"{number!r} is not a mobile number, so it cannot take a text")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_email_address(address: str) -> bool:
    """Is ``address`` (trimmed) shaped like an email address?"""
    address = address.strip()
    return len(address) <= 320 and _EMAIL.match(address) is not None


def normalise_email(address: str) -> str:
    """A trimmed email address, or ``InvalidContact``."""
    if not is_email_address(address):
        raise InvalidContact(f"{address.strip()!r} is not an email address")
    return address.strip()
