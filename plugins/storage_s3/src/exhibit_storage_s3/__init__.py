"""Exhibit plugin ``storage_s3``:
evidence storage in S3 and S3-compatible stores, write-once where the bucket allows.

Registered under the ``exhibit`` entry-point group as ``storage_s3``. It installs and is listed,
but implements no hooks yet: its behaviour is tracked in issue 6.
"""
