"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile)."""

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """The password is too short to protect evidence."""


def hash_password(password: str) -> str:
    """The argon2id hash of ``password``, after checking it is long enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def password_stamp(stored_hash: str) -> str:
    """A short fingerprint of a stored hash, which changes whenever the password is set.

    A signed-in session keeps the stamp it began with, so a new password ends every
    session begun with the old one (the hash's salt is new each time, so even setting the
    same password again does).
    """
    return hashlib.sha256(stored_hash.encode()).hexdigest()[:32]


def verify_password(stored_hash: str, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
