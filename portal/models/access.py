"""Users, roles and scopes, and invitations.

A user holds one or more ``Membership`` rows. Each names a role and, for scoped roles, the
local authority or region it covers. What each role may do is decided in ``portal.access``
only; nothing else compares roles.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in with their work email address (there are no user names)."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    LA_DATA_LEAD = "la_data_lead", "LA data lead"
    LA_VIEWER = "la_viewer", "LA viewer"
    DFE_CASE_LEAD = "dfe_case_lead", "DfE Case Lead"
    RISL = "risl", "Regional Improvement Support Lead"
    NATIONAL_ANALYST = "national_analyst", "DfE national analyst"
    ACCESS_ADMIN = "access_admin", "Access admin"


#: Roles scoped to named local authorities, to regions, or to nothing (all / no data).
LA_SCOPED_ROLES = frozenset({Role.LA_DATA_LEAD, Role.LA_VIEWER, Role.DFE_CASE_LEAD})
REGION_SCOPED_ROLES = frozenset({Role.RISL})
UNSCOPED_ROLES = frozenset({Role.NATIONAL_ANALYST, Role.ACCESS_ADMIN})


def _scope_constraint() -> Q:
    # Sorted: a frozenset's order changes between processes, and the migration must not.
    la_roles = sorted(r.value for r in LA_SCOPED_ROLES)
    region_roles = sorted(r.value for r in REGION_SCOPED_ROLES)
    unscoped = sorted(r.value for r in UNSCOPED_ROLES)
    return (
        Q(role__in=la_roles, local_authority__isnull=False, region__isnull=True)
        | Q(role__in=region_roles, local_authority__isnull=True, region__isnull=False)
        | Q(role__in=unscoped, local_authority__isnull=True, region__isnull=True)
    )


class Membership(models.Model):
    """One role held by one user, with its scope: a local authority for LA roles and Case
    Leads, a region for RISLs, nothing for national analysts and access admins."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    local_authority = models.ForeignKey(
        "portal.LocalAuthority",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    region = models.ForeignKey(
        "portal.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=_scope_constraint(), name="membership_scope_matches_role"
            ),
            # One constraint per scope kind (NULLs never collide in a plain unique constraint).
            models.UniqueConstraint(
                fields=["user", "role", "local_authority"],
                condition=Q(local_authority__isnull=False),
                name="membership_unique_la",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=Q(region__isnull=False),
                name="membership_unique_region",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(local_authority__isnull=True, region__isnull=True),
                name="membership_unique_unscoped",
            ),
        ]
        ordering = ["role", "local_authority__name", "region__name"]

    def __str__(self) -> str:
        scope = self.local_authority or self.region or "all"
        return f"{self.get_role_display()} ({scope})"

    @property
    def scope_label(self) -> str:
        if self.local_authority_id:
            return str(self.local_authority)
        if self.region_id:
            return f"{self.region} region"
        return "All local authorities" if self.role == Role.NATIONAL_ANALYST else "—"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """An invitation to join the service with a role and scope.

    Only a hash of the emailed token is stored, so a database leak gives no working links. The
    link works once (``accepted_at``), until it expires, and not after it is revoked.
    """

    VALID_FOR = timedelta(days=7)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=32, choices=Role.choices)
    local_authorities = models.ManyToManyField(
        "portal.LocalAuthority", blank=True, related_name="+"
    )
    regions = models.ManyToManyField("portal.Region", blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.get_role_display()})"

    def new_token(self) -> str:
        """Issue a fresh token (invalidating any earlier link) and restart the expiry clock."""
        token = secrets.token_urlsafe(32)
        self.token_hash = _hash_token(token)
        self.expires_at = timezone.now() + self.VALID_FOR
        return token

    @classmethod
    def find_pending(cls, token: str) -> Invitation | None:
        return cls.objects.pending().filter(token_hash=_hash_token(token)).first()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "Accepted"
        if self.revoked_at:
            return "Revoked"
        if self.expires_at <= timezone.now():
            return "Expired"
        return "Pending"
