"""Mobile numbers in E.164, the one form every provider accepts."""

import phonenumbers

from exhibit.plugins import DeliveryFailed

DEFAULT_REGION = "GB"


def e164(number: str) -> str:
    """``number`` as E.164 (``+447911123456``); a permanent failure if it is not a mobile."""
    try:
        parsed = phonenumbers.parse(number, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise DeliveryFailed("the number cannot be read", permanent=True) from None
    kind = phonenumbers.number_type(parsed)
    mobile = kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    if not phonenumbers.is_valid_number(parsed) or not mobile:
        raise DeliveryFailed("the number is not a valid mobile number", permanent=True)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
