"""Exhibit plugin ``media_tools``:
metadata, previews, originality checks and redaction of photos, video and audio.

Registered under the ``exhibit`` entry-point group as ``media_tools``. It installs and is listed,
but implements no hooks yet: its behaviour is tracked in issue 7.
"""
