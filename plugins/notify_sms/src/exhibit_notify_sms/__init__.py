"""Exhibit plugin ``notify_sms``:
sMS delivery of upload links and receipts (GOV.UK Notify, Twilio, AWS SNS).

Registered under the ``exhibit`` entry-point group as ``notify_sms``. It installs and is listed,
but implements no hooks yet: its behaviour is tracked in issue 5.
"""
