"""Field types shared by the auth schemas: what a client may send, checked before any SQL runs."""

import re
import unicodedata
from typing import Annotated

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    return value


def _plain_text(value: str) -> str:
    value = unicodedata.normalize("NFC", _encodable(value)).strip()
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if not value:
        raise ValueError("must not be blank")
    return value


def _email(value: str) -> str:
    value = _plain_text(value)
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def email_key(email: str) -> str:
    """How accounts are looked up and rate limits are keyed: case-insensitive."""
    return unicodedata.normalize("NFC", email).strip().lower()


# A new account's email: validated and normalized (email-validator).
NewEmail = Annotated[str, Field(min_length=3, max_length=254, examples=["test@example.com"]), AfterValidator(_email)]
# An email given to find an account: never validated more than needed, so answers do not differ.
EmailLookup = Annotated[
    str, Field(min_length=1, max_length=254, examples=["test@example.com"]), AfterValidator(_plain_text)
]
Username = Annotated[
    str,
    Field(min_length=3, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$", examples=["testuser"]),
    AfterValidator(_encodable),
]
DisplayName = Annotated[str, Field(min_length=1, max_length=100, examples=["Test User"]), AfterValidator(_plain_text)]
Password = Annotated[str, Field(min_length=8, max_length=128, examples=["password123"]), AfterValidator(_encodable)]
# A password given to log in: any length the form allows, so an old short one still gets a plain 401.
LoginPassword = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_encodable)]
Code = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["123456"], description="The 6-digit code we emailed")]
