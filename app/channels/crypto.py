"""Channel credentials, encrypted with Fernet keys from the settings (rotation supported)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CredentialsError(ValueError):
    """Stored credentials cannot be decrypted with any configured key."""


def _fernet(keys: Sequence[str]) -> MultiFernet:
    if not keys:
        raise CredentialsError("no Fernet key configured (CARE_FERNET_KEYS)")
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise CredentialsError(f"a CARE_FERNET_KEYS entry is not a Fernet key: {exc}") from exc


def encrypt(credentials: dict[str, str], keys: Sequence[str]) -> bytes:
    """Encrypt credentials with the newest key (the first of the list)."""
    return _fernet(keys).encrypt(json.dumps(credentials, sort_keys=True).encode())


def decrypt(token: bytes | None, keys: Sequence[str]) -> dict[str, str]:
    """Decrypt credentials with whichever configured key made them."""
    if not token:
        return {}
    try:
        values: dict[str, str] = json.loads(_fernet(keys).decrypt(token))
        return values
    except InvalidToken as exc:
        raise CredentialsError("credentials were encrypted with a key that is not configured") \
            from exc


def rotate(token: bytes, keys: Sequence[str]) -> bytes:
    """Re-encrypt with the newest key (old keys may then be removed from the settings)."""
    try:
        return _fernet(keys).rotate(token)
    except InvalidToken as exc:
        raise CredentialsError("credentials were encrypted with a key that is not configured") \
            from exc
