"""Numbers typed into forms: whole numbers the database can hold, or nothing."""

import pytest

from exhibit.db.base import MAX_INTEGER
from exhibit.web.officer.form_values import whole_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", 12),
        (" 7 ", 7),
        ("0", 0),
        (str(MAX_INTEGER), MAX_INTEGER),
        (str(MAX_INTEGER + 1), None),  # past PostgreSQL's INTEGER: no row has it
        ("9" * 40, None),
        ("-1", None),
        ("1.5", None),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: isdigit() says yes, the database would not
        ("", None),
    ],
)
def test_whole_numbers(text: str, number: int | None) -> None:
    assert whole_number(text) == number
