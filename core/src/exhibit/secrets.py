"""Secrets at rest: plugin credentials and message bodies are stored encrypted, never plain.

A ``SecretBox`` encrypts with Fernet (AES-128-CBC + HMAC-SHA256) under the key in
``EXHIBIT_SECRET_KEY``. For a trial set-up without that variable, ``exhibit demo`` keeps a
generated key in ``<data dir>/secret.key`` (mode 0600).

A ``Secret`` is how a plugin configuration holds a credential: either encrypted by the box
or a reference to an environment variable. Its ``repr`` never shows the value; the plugin
calls ``reveal()`` at the moment it needs it.
"""

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE_NAME = "secret.key"


class SecretUnavailable(RuntimeError):
    """A secret cannot be read: its variable is unset, or the key cannot decrypt it."""


class SecretBox:
    """Encrypts and decrypts short strings with the deployment's secret key."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode())
        except ValueError as exc:
            raise SecretUnavailable(
                "EXHIBIT_SECRET_KEY is not a valid key; make one with `exhibit secret-key`"
            ) from exc

    @staticmethod
    def generate_key() -> str:
        """A new random key, in the form ``EXHIBIT_SECRET_KEY`` takes."""
        return Fernet.generate_key().decode()

    def encrypt(self, plaintext: str) -> str:
        """The ciphertext of ``plaintext`` (a URL-safe string)."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        """The plaintext of a value made by ``encrypt`` under the same key."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise SecretUnavailable(
                "a stored secret cannot be decrypted with the current EXHIBIT_SECRET_KEY"
            ) from exc


def load_secret_box(key: str | None, data_dir: Path) -> SecretBox:
    """The box for ``key``, or for the trial key file in ``data_dir`` (made if missing)."""
    if key:
        return SecretBox(key)
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(SecretBox.generate_key())
    return SecretBox(path.read_text().strip())


class Secret:
    """A credential in a plugin's configuration: encrypted at rest, or an env reference.

    Build one with ``Secret.from_env(name)`` or ``Secret.from_value(value, box)``; read it
    with ``reveal()``. It never prints its value.
    """

    __slots__ = ("_box", "_ciphertext", "_env")

    def __init__(
        self, *, env: str | None = None, ciphertext: str | None = None, box: SecretBox | None = None
    ) -> None:
        if (env is None) == (ciphertext is None):
            raise ValueError("a secret is either an environment reference or a ciphertext")
        if ciphertext is not None and box is None:
            raise ValueError("an encrypted secret needs the box that decrypts it")
        self._env = env
        self._ciphertext = ciphertext
        self._box = box

    @classmethod
    def from_env(cls, name: str) -> "Secret":
        """A secret read from the environment variable ``name`` when revealed."""
        return cls(env=name)

    @classmethod
    def from_value(cls, value: str, box: SecretBox) -> "Secret":
        """A secret holding ``value``, kept only in encrypted form."""
        return cls(ciphertext=box.encrypt(value), box=box)

    def reveal(self) -> str:
        """The secret's value. Call it where the value is used; never store or log it."""
        if self._env is not None:
            value = os.environ.get(self._env)
            if value is None:
                raise SecretUnavailable(f"environment variable {self._env} is not set")
            return value
        assert self._ciphertext is not None
        assert self._box is not None
        return self._box.decrypt(self._ciphertext)

    def stored_form(self) -> dict[str, str]:
        """How the secret is kept in the database: ``{"env": name}`` or ``{"encrypted": ...}``."""
        if self._env is not None:
            return {"env": self._env}
        assert self._ciphertext is not None
        return {"encrypted": self._ciphertext}

    def __repr__(self) -> str:
        return f"Secret(env={self._env!r})" if self._env else "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and self.stored_form() == other.stored_form()

    def __hash__(self) -> int:
        return hash(tuple(self.stored_form().items()))
