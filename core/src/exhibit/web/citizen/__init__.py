"""The citizen pages: what a witness sees after opening the link an officer sent them."""

from exhibit.web.citizen.pages import CitizenPages

__all__ = ["CitizenPages"]
