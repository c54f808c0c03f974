"""Checking the vendors' request signatures exactly as the vendors describe them.

Two schemes, both pure functions of their inputs and `now` (so tests move a fake clock):

- 7moor: `sig` = upper-case hex MD5 of ACCOUNTID + APISecret + timestamp, and header
  `Authorization` = Base64("ACCOUNTID:timestamp"); the timestamp is Beijing time and valid
  for five minutes either side of the server's clock.
- Tencent IM: TLSSigAPIv2 UserSig, a zlib-compressed JSON document carrying an HMAC-SHA256
  over its own fields, Base64 with `+/=` replaced by `*-_` (api-docs/NOTES.md, section B).

Failures raise `SignatureRefused` with the vendor's error code and a reason; the reason goes
into the answer's message and never contains a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import zlib
from dataclasses import dataclass
from typing import Any

from bot.simulator.beijing import parse_sig_timestamp

SEVENMOOR_SIG_VALIDITY = 300.0  # seconds either side of the server clock
SEVENMOOR_AUTH_FAILED = 403

USERSIG_EXPIRED = 70001
USERSIG_INVALID = 70003
USERSIG_OTHER_SDKAPPID = 70009
USERSIG_IDENTIFIER_MISMATCH = 70013

_USERSIG_DECODE = str.maketrans("*-_", "+/=")


class SignatureRefused(Exception):
    """A request's signature does not hold; `code` is what the vendor answers with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def sevenmoor_sig(account_id: str, api_secret: str, timestamp: str) -> str:
    """The `sig` query parameter the vendor expects for this account, secret and timestamp."""
    text = f"{account_id}{api_secret}{timestamp}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


def sevenmoor_authorization(account_id: str, timestamp: str) -> str:
    """The `Authorization` header the vendor expects: Base64 of `account:timestamp`."""
    return base64.b64encode(f"{account_id}:{timestamp}".encode()).decode()


def verify_sevenmoor(
    *,
    account_id: str,
    api_secret: str,
    sig: str | None,
    authorization: str | None,
    now: float,
) -> None:
    """Raise `SignatureRefused` (code 403) unless sig and Authorization fit `account_id`.

    The timestamp travels only inside the Authorization header, so it is read from there,
    checked for freshness against `now`, and then used to recompute the sig.
    """
    if not sig:
        raise SignatureRefused(SEVENMOOR_AUTH_FAILED, "sig is missing")
    if not authorization:
        raise SignatureRefused(SEVENMOOR_AUTH_FAILED, "Authorization header is missing")
    try:
        decoded = base64.b64decode(authorization.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SignatureRefused(
            SEVENMOOR_AUTH_FAILED, "Authorization header is not Base64"
        ) from None
    header_account, separator, timestamp = decoded.partition(":")
    if not separator or header_account != account_id:
        raise SignatureRefused(
            SEVENMOOR_AUTH_FAILED, "Authorization header does not name this account"
        )
    signed_at = parse_sig_timestamp(timestamp)
    if signed_at is None:
        raise SignatureRefused(SEVENMOOR_AUTH_FAILED, "timestamp is not yyyyMMddHHmmss")
    if abs(now - signed_at) > SEVENMOOR_SIG_VALIDITY:
        raise SignatureRefused(
            SEVENMOOR_AUTH_FAILED, "timestamp is more than 5 minutes from server time"
        )
    expected = sevenmoor_sig(account_id, api_secret, timestamp)
    if not hmac.compare_digest(sig.encode(), expected.encode()):
        raise SignatureRefused(SEVENMOOR_AUTH_FAILED, "sig does not match")


@dataclass(frozen=True, slots=True)
class UserSig:
    """The fields of a decoded TLSSigAPIv2 UserSig."""

    identifier: str
    sdkappid: int
    time: int
    expire: int
    sig: str
    userbuf: str | None = None

    @property
    def expires_at(self) -> int:
        return self.time + self.expire

    def signed_content(self) -> str:
        content = (
            f"TLS.identifier:{self.identifier}\nTLS.sdkappid:{self.sdkappid}\n"
            f"TLS.time:{self.time}\nTLS.expire:{self.expire}\n"
        )
        if self.userbuf is not None:
            content += f"TLS.userbuf:{self.userbuf}\n"
        return content


def decode_usersig(usersig: str) -> UserSig:
    """Undo the URL-safe Base64, zlib and JSON layers; `SignatureRefused` 70003 if any fails."""
    try:
        compressed = base64.b64decode(usersig.translate(_USERSIG_DECODE), validate=True)
        document: Any = json.loads(zlib.decompress(compressed))
    except (binascii.Error, zlib.error, ValueError):
        raise SignatureRefused(USERSIG_INVALID, "UserSig cannot be decoded") from None
    if not isinstance(document, dict):
        raise SignatureRefused(USERSIG_INVALID, "UserSig is not a JSON object")
    identifier = document.get("TLS.identifier")
    sdkappid = document.get("TLS.sdkappid")
    issued = document.get("TLS.time")
    expire = document.get("TLS.expire")
    sig = document.get("TLS.sig")
    userbuf = document.get("TLS.userbuf")
    if not (
        isinstance(identifier, str)
        and _is_int(sdkappid)
        and _is_int(issued)
        and _is_int(expire)
        and isinstance(sig, str)
        and (userbuf is None or isinstance(userbuf, str))
    ):
        raise SignatureRefused(USERSIG_INVALID, "UserSig lacks a field or has a wrong type")
    return UserSig(
        identifier=identifier,
        sdkappid=sdkappid,
        time=issued,
        expire=expire,
        sig=sig,
        userbuf=userbuf,
    )


def verify_usersig(
    usersig: str, *, sdkappid: int, secret_key: str, identifier: str, now: float
) -> UserSig:
    """Return the decoded UserSig, or raise `SignatureRefused` with the vendor's code.

    Order: made for another app (70009), signature (70003), expiry (70001), identifier
    (70013). The signature is checked before expiry so a forged sig learns nothing more.
    """
    decoded = decode_usersig(usersig)
    if decoded.sdkappid != sdkappid:
        raise SignatureRefused(USERSIG_OTHER_SDKAPPID, "UserSig was made for another SDKAppID")
    digest = hmac.new(
        secret_key.encode(), decoded.signed_content().encode(), hashlib.sha256
    ).digest()
    expected = base64.b64encode(digest).decode()
    if not hmac.compare_digest(decoded.sig.encode(), expected.encode()):
        raise SignatureRefused(USERSIG_INVALID, "UserSig signature does not match")
    if decoded.expires_at < now:
        raise SignatureRefused(USERSIG_EXPIRED, "UserSig has expired")
    if decoded.identifier != identifier:
        raise SignatureRefused(
            USERSIG_IDENTIFIER_MISMATCH, "UserSig identifier differs from the identifier parameter"
        )
    return decoded


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
