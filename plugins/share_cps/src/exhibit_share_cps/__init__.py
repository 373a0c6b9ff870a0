"""Exhibit plugin ``share_cps``:
sharing evidence with the Crown Prosecution Service, with verifiable bundles.

Registered under the ``exhibit`` entry-point group as ``share_cps``. It installs and is listed,
but implements no hooks yet: its behaviour is tracked in issue 8.
"""
