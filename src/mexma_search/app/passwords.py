"""Password records: scrypt with a random salt, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD_CHARS = 8


def hash_password(password: str, salt: bytes | None = None) -> dict[str, Any]:
    """An scrypt record of ``password`` (JSON-ready)."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return {"algorithm": "scrypt", **_SCRYPT, "salt": salt.hex(), "hash": digest.hex()}


def verify_password(password: str, record: dict[str, Any]) -> bool:
    """True when ``password`` matches an scrypt record from :func:`hash_password`."""
    digest = hashlib.scrypt(
        password.encode(),
        salt=bytes.fromhex(record["salt"]),
        n=int(record["n"]),
        r=int(record["r"]),
        p=int(record["p"]),
    )
    return hmac.compare_digest(digest.hex(), record["hash"])


def check_new_password(password: str) -> str:
    """``password`` if it is long enough to be set; ValueError otherwise."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password has at least {MIN_PASSWORD_CHARS} characters")
    return password


# checked when the user name is unknown, so that a wrong name takes as long as a wrong password
UNKNOWN_USER_RECORD = hash_password(secrets.token_urlsafe(16))
