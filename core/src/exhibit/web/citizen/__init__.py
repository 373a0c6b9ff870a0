"""The citizen pages: what a witness sees after opening the link an officer sent them.

The pages are in ``exhibit.web.citizen.pages``. This package imports nothing on its own, so
that the messages sent to a witness can use its words (``i18n``) without loading the pages.
"""
