"""API client accounts: a case-management system allowed to push one LA's data.

Each account wraps a django-oauth-toolkit ``Application`` (client credentials; DOT stores the
client secret hashed) and adds what the DfE's sender also presents: the ``SupplierKey``
header. That key is checked on every request, so it is stored as an HMAC-SHA256 under
``settings.API_SUPPLIER_KEY_SECRET`` (fast and constant-time to compare), not as a slow
password hash.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.settings import oauth2_settings


class ApiClientAccount(models.Model):
    """One sender, bound to exactly one local authority."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client_account",
    )
    local_authority = models.ForeignKey(
        "portal.LocalAuthority", on_delete=models.PROTECT, related_name="api_clients"
    )
    #: The OAuth2 scope this client asks for in its token request (its sender's SCOPE).
    scope = models.CharField(max_length=200)
    supplier_key_digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["local_authority__name", "-created_at"]

    def __str__(self) -> str:
        return f"API client {self.application.client_id} ({self.local_authority_id})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
