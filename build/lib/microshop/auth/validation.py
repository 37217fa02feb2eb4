"""Field types shared by the auth schemas: what a client may send, checked before any SQL runs.

Every length is checked on the value as stored, after Unicode normalization (NFC can triple a
string's length, case mapping can double it), never on the raw input.
"""

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, JsonValue

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
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def _length(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not low <= len(value) <= high:
            raise ValueError(f"must be {low} to {high} characters long")
        return value

    return check


def _text(low: int, high: int, *steps: Callable[[str], str], **field: Any) -> Any:
    """A str field: normalized by `steps`, then its length checked; the bounds shown in the schema."""
    schema: dict[str, JsonValue] = {"minLength": low, "maxLength": high}
    return Annotated[
        str, Field(json_schema_extra=schema, **field), *(AfterValidator(s) for s in (*steps, _length(low, high)))
    ]


def email_key(email: str) -> str:
    """The one normalization of an email (NFKC, case folded) that accounts are stored, looked up and
    rate limited by, so the database's collation never decides whose an address is."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


# A new account's email: validated and normalized (email-validator).
NewEmail = _text(3, 254, _plain_text, _email, examples=["test@example.com"])
# An email given to find an account: never validated more than needed, so answers do not differ.
EmailLookup = _text(1, 254, _plain_text, examples=["test@example.com"])
Username = _text(3, 50, _encodable, pattern=r"^[A-Za-z0-9_.-]+$", examples=["testuser"])
DisplayName = _text(1, 100, _plain_text, examples=["Test User"])
Password = _text(8, 128, _encodable, examples=["password123"])
# A password given to log in: any length the form allows, so an old short one still gets a plain 401.
LoginPassword = _text(1, 128, _encodable)
Code = Annotated[str, Field(pattern=r"^[0-9]{6}$", examples=["123456"], description="The 6-digit code we emailed")]
