"""A notifier plugin's choice of provider in its configuration, as ``routing`` reads it.

A plugin that offers several providers on a channel gives its configuration Struct a
``provider`` field (a provider key), optionally a ``fallback`` (another key of the same
channel), and one settings section per provider, named by its key (``twilio``, ``ses``).
Call ``check_provider_choice`` from the Struct's ``__post_init__``: a force cannot then
save a choice that could not send.
"""


def check_provider_choice(config: object, provider: str, fallback: str | None) -> None:
    """Raise ``ValueError`` unless ``provider`` and ``fallback`` have settings and differ."""
    for key in (provider, fallback):
        if key is not None and getattr(config, key, None) is None:
            raise ValueError(f"provider {key!r} is chosen but has no `{key}` settings")
    if fallback == provider:
        raise ValueError("the fallback must be a different provider")
