"""Exhibit plugin ``notify_email``:
email delivery of upload links and receipts (SMTP, AWS SES, GOV.UK Notify).

Registered under the ``exhibit`` entry-point group as ``notify_email``. It installs and is listed,
but implements no hooks yet: its behaviour is tracked in issue 5.
"""
