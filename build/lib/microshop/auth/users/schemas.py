"""Wire shapes of registration, verification, password reset and the profile."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from microshop.auth.validation import Code, DisplayName, EmailLookup, NewEmail, Password, Username


class UserCreate(BaseModel):
    """The seed's registration body."""

    username: Username
    name: DisplayName
    email: NewEmail
    password: Password


class RegisterResponse(BaseModel):
    message: str = "Usuario creado"
    user_id: int


class MessageResponse(BaseModel):
    message: str


class VerifyRequest(BaseModel):
    email: EmailLookup
    code: Code


class EmailRequest(BaseModel):
    email: EmailLookup


class PasswordReset(BaseModel):
    email: EmailLookup
    code: Code
    new_password: Password


class AdminCreate(BaseModel):
    """`microshop create-admin`: username and name default from the email."""

    email: NewEmail
    password: Password
    username: Username | None = None
    name: DisplayName | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    name: str
    email: str
    role: str
    is_verified: bool
    created_at: datetime
