"""Creating, rotating and revoking API clients (the senders of ``submissions.api``).

A client is a django-oauth-toolkit ``Application`` with the client-credentials grant, and an
``ApiClientAccount`` binding it to one LA with its SupplierKey digest. The client secret and
supplier key are returned once, by ``create`` and ``rotate``, and never stored in clear: DOT
hashes the secret, and the supplier key is kept as an HMAC (``supplier_key_digest``).

Each function runs in one transaction with its audit event; the details hold the client id
(ours, not a secret) and never a secret or child data.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, generate_client_secret
from oauth2_provider.scopes import BaseScopes

from portal.access import ApiClient
from portal.audit import AuditAction, record
from portal.models import ApiClientAccount, LocalAuthority, User

__all__ = [
    "ClientScopes",
    "Credentials",
    "api_base_url",
    "as_principal",
    "create",
    "revoke",
    "rotate",
    "supplier_key_digest",
    "supplier_key_matches",
    "token_url",
]


@dataclass(frozen=True)
class Credentials:
    """What a sender is configured with. Shown once; only the account is kept."""

    account: ApiClientAccount
    client_id: str
    client_secret: str
    supplier_key: str

    def as_dict(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "supplier_key": self.supplier_key,
            "scope": self.account.scope,
            "token_url": token_url(),
            "api_base_url": api_base_url(),
        }


def token_url() -> str:
    """The sender's TOKEN_ENDPOINT."""
    return settings.SERVICE_BASE_URL.rstrip("/") + reverse("api_token")


def api_base_url() -> str:
    """The sender's API_ENDPOINT: it appends ``/children_social_care_data/<la>/children``."""
    return settings.SERVICE_BASE_URL.rstrip("/") + "/api"


def supplier_key_digest(key: str) -> str:
    """HMAC-SHA256 of a SupplierKey header value under the server's secret."""
    secret = settings.API_SUPPLIER_KEY_SECRET.encode()
    return hmac.new(secret, key.strip().encode(), hashlib.sha256).hexdigest()


def supplier_key_matches(account: ApiClientAccount, key: str) -> bool:
    """Constant-time comparison of a presented key with the stored digest."""
    return hmac.compare_digest(supplier_key_digest(key), account.supplier_key_digest)


def as_principal(account: ApiClientAccount) -> ApiClient:
    """The account as ``portal.access`` sees it: bound to its one LA."""
    return ApiClient(
        name=account.application.client_id,
        local_authority_id=account.local_authority_id,
        is_active=account.is_active,
    )


def _new_supplier_key() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def create(la: LocalAuthority, by: User | None, request: HttpRequest | None = None) -> Credentials:
    """A new client for ``la``; its secret and supplier key are in the result only."""
    client_secret = generate_client_secret()
    supplier_key = _new_supplier_key()
    application = Application(
        name=f"API client for {la.name} ({la.code})",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=client_secret,  # hashed by DOT on save
        hash_client_secret=True,
        skip_authorization=True,
    )
    application.save()
    account = ApiClientAccount.objects.create(
        application=application,
        local_authority=la,
        scope=settings.API_OAUTH_SCOPE,
        supplier_key_digest=supplier_key_digest(supplier_key),
        created_by=by,
    )
    record(
        AuditAction.API_CLIENT_CREATED,
        request=request,
        actor=by,
        organisation=la.code,
        obj=account,
        client_id=application.client_id,
    )
    return Credentials(account, application.client_id, client_secret, supplier_key)


def _end_tokens(application: Application) -> int:
    deleted, _ = AccessToken.objects.filter(application=application).delete()
    return deleted


@transaction.atomic
def rotate(
    account: ApiClientAccount, by: User | None, request: HttpRequest | None = None
) -> Credentials:
    """A new secret and supplier key for the same client id; tokens issued before stop
    working at once."""
    account = (
        ApiClientAccount.objects.select_for_update()
        .select_related("application")
        .get(pk=account.pk)
    )
    if not account.is_active:
        raise ValueError("A revoked API client cannot be rotated.")
    client_secret = generate_client_secret()
    supplier_key = _new_supplier_key()
    application = account.application
    application.client_secret = client_secret
    application.save()
    ended = _end_tokens(application)
    account.supplier_key_digest = supplier_key_digest(supplier_key)
    account.rotated_at = timezone.now()
    account.save(update_fields=["supplier_key_digest", "rotated_at"])
    record(
        AuditAction.API_CLIENT_ROTATED,
        request=request,
        actor=by,
        organisation=account.local_authority.code,
        obj=account,
        client_id=application.client_id,
        tokens_ended=ended,
    )
    return Credentials(account, application.client_id, client_secret, supplier_key)


@transaction.atomic
def revoke(
    account: ApiClientAccount, by: User | None, request: HttpRequest | None = None
) -> ApiClientAccount:
    """Stop the client for good: its tokens are deleted (so they fail at once), its secret
    is replaced by one nobody knows, and the intake refuses a revoked account anyway."""
    account = (
        ApiClientAccount.objects.select_for_update()
        .select_related("application")
        .get(pk=account.pk)
    )
    if not account.is_active:
        return account
    application = account.application
    application.client_secret = generate_client_secret()
    application.save()
    ended = _end_tokens(application)
    account.revoked_at = timezone.now()
    account.supplier_key_digest = ""
    account.save(update_fields=["revoked_at", "supplier_key_digest"])
    record(
        AuditAction.API_CLIENT_REVOKED,
        request=request,
        actor=by,
        organisation=account.local_authority.code,
        obj=account,
        client_id=application.client_id,
        tokens_ended=ended,
    )
    return account


class ClientScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend: a client may ask for the scope its account is
    configured with (``ApiClientAccount.scope``), which is also what it gets when it asks
    for none. An application without an account (none should exist) gets no scope."""

    def _scopes(self, application: Application | None) -> list[str]:
        account = getattr(application, "api_client_account", None) if application else None
        return [account.scope] if account is not None and account.is_active else []

    def get_all_scopes(self) -> dict[str, str]:
        return {settings.API_OAUTH_SCOPE: "Send children's social care data"}

    def get_available_scopes(
        self, application: Application | None = None, request: object = None, *args: object,
        **kwargs: object,
    ) -> list[str]:  # fmt: skip
        return self._scopes(application)

    def get_default_scopes(
        self, application: Application | None = None, request: object = None, *args: object,
        **kwargs: object,
    ) -> list[str]:  # fmt: skip
        return self._scopes(application)
