"""Each force's Ed25519 bundle-signing key: made on first use, kept encrypted, public half exported.

The private key is sealed by the deployment's ``SecretBox`` and never leaves the process in
plain form; the public key is what a prosecutor uses with ``exhibit verify``.
"""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exhibit.audit import log as audit
from exhibit.secrets import SecretBox
from exhibit.sharing.bundle_format import b64, key_fingerprint
from exhibit.sharing.models import SigningKey

_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw


async def signing_key(
    session: AsyncSession, box: SecretBox, force_id: int, *, actor: str
) -> Ed25519PrivateKey:
    """The force's signing key, made (audited, in the caller's transaction) if it has none."""
    row = await session.scalar(select(SigningKey).where(SigningKey.force_id == force_id))
    if row is not None:
        raw = bytes.fromhex(box.decrypt(row.private_key_encrypted))
        return Ed25519PrivateKey.from_private_bytes(raw)
    key = Ed25519PrivateKey.generate()
    private_raw = key.private_bytes(
        _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = public_raw(key)
    session.add(
        SigningKey(
            force_id=force_id,
            public_key=public.hex(),
            private_key_encrypted=box.encrypt(private_raw.hex()),
        )
    )
    await audit.record(
        session,
        force_id,
        actor=actor,
        action="sharing.signing_key_created",
        object_type="force",
        object_id=force_id,
        details={"key_fingerprint": key_fingerprint(public)},
    )
    return key


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The raw 32 bytes of the public half of ``key``."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(_RAW, _RAW_PUBLIC)


def public_key_pem(key: Ed25519PrivateKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), the file ``exhibit verify`` takes."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """The base64 Ed25519 signature of ``data``."""
    return b64(key.sign(data))
