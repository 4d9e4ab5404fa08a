"""Accounts: local users (argon2), OIDC users, per-workspace roles, API tokens, login throttling.

Every function that changes state checks the actor's permission and writes a ledger entry in
the same transaction. See :mod:`civicflow.app` for the whole interface.
"""

from civicflow.app._accounts import (
    MIN_PASSWORD_LENGTH,
    ApiToken,
    User,
    authenticate,
    authenticate_token,
    create_admin,
    create_api_token,
    create_user,
    erase_user,
    get_actor,
    get_user,
    grant_role,
    hash_token,
    is_throttled,
    list_api_tokens,
    list_users,
    pseudonym_for,
    purge_login_attempts,
    record_login_attempt,
    revoke_api_token,
    revoke_role,
    set_password,
    set_user_active,
    upsert_oidc_user,
)

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "ApiToken",
    "User",
    "authenticate",
    "authenticate_token",
    "create_admin",
    "create_api_token",
    "create_user",
    "erase_user",
    "get_actor",
    "get_user",
    "grant_role",
    "hash_token",
    "is_throttled",
    "list_api_tokens",
    "list_users",
    "pseudonym_for",
    "purge_login_attempts",
    "record_login_attempt",
    "revoke_api_token",
    "revoke_role",
    "set_password",
    "set_user_active",
    "upsert_oidc_user",
]
