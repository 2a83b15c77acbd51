"""Access administration: invitations, roles and scopes, deactivation.

Every function here changes who can do what, so each one runs in a single transaction and
writes an audit event in that same transaction: the change and its record stand or fall
together. Views call these functions and never change users, memberships or invitations
themselves. Audit details hold staff identifiers (ids, work emails) and never child data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import import_module
from typing import Any, TypeVar

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import models, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.access import ROLE_ACTIONS, Action, AuditedRefusal
from portal.audit import AuditAction, AuditOutcome, record
from portal.models import (
    LA_SCOPED_ROLES,
    REGION_SCOPED_ROLES,
    Invitation,
    LocalAuthority,
    Membership,
    Region,
    Role,
    User,
)

__all__ = [
    "DATA_ROLES",
    "accept",
    "change_membership",
    "deactivate",
    "describe_inviter",
    "grant",
    "invite",
    "reactivate",
    "refuse_own_address",
    "remove_membership",
    "resend",
    "revoke",
    "role_allows",
    "scope_description",
    "validate_new_email",
    "validate_scope",
]

_M = TypeVar("_M", bound=models.Model)

#: Roles that see data. Holding one of these and the access admin role at once is allowed
#: (someone may need both), but only a second person can put them together, and the access
#: review lists everyone who holds both.
DATA_ROLES = frozenset(Role) - {Role.ACCESS_ADMIN}


#: What each action lets someone do, in words, for pages that say what a role gives or takes
#: away. Derived from ``ROLE_ACTIONS`` by ``role_allows``, so the words follow the role table.
ACTION_WORDS: dict[Action, str] = {
    Action.VIEW_DASHBOARD: "see the dashboards' figures",
    Action.VIEW_CHILD_LEVEL: "see child-level records",
    Action.VIEW_REPORT: "read validation reports, which name children",
    Action.UPLOAD: "upload extracts and download the files sent",
    Action.DECIDE: "explain queries and accept submissions",
    Action.WRITE_NOTE: "write context notes on the dashboards",
    Action.MANAGE_ACCESS: "invite people and change who has access",
    Action.VIEW_AUDIT: "read the audit trail",
}


def role_allows(role: str) -> list[str]:
    """What holding ``role`` lets someone do, in words, in the order of ``ACTION_WORDS``."""
    actions = ROLE_ACTIONS[Role(role)]
    return [words for action, words in ACTION_WORDS.items() if action in actions]


# --- Separation of duties ------------------------------------------------------------------


def _refuse_own_access(user: User, by: User, change: str, request: HttpRequest) -> None:
    """Nobody grants, changes or removes their own roles or account state: an access admin
    who could would give themselves child-level data with nobody else involved. Because only
    access admins reach these services, this also means a data role for an access admin (or
    the access admin role for someone with a data role) always takes a second, different
    access admin. The refusal is a security event, so it is audited before the 403."""
    if user.pk != by.pk:
        return
    record(
        AuditAction.ACCESS_DENIED,
        request=request,
        actor=by,
        outcome=AuditOutcome.DENIED,
        obj=user,
        reason="own_access",
        change=change,
        user_id=user.pk,
        user_email=user.email,
    )
    raise AuditedRefusal("You cannot change your own access. Ask another access admin")


def refuse_own_address(email: str, by: User, request: HttpRequest) -> None:
    """Refuse (``PermissionDenied``, audited) an invitation to one of the inviter's own
    addresses, their account's or any other they added: accepting it would give them a
    second account, with whatever role they chose for it. Called by ``invite`` and, before
    the form's "already has an account" check, by the invite page."""
    email = email.strip()
    if (
        by.email.lower() == email.lower()
        or EmailAddress.objects.filter(user=by, email__iexact=email).exists()
    ):
        _refuse_own_access(by, by, "invite", request)


# --- Validation shared with the forms ------------------------------------------------------


def validate_scope(
    role: str,
    local_authorities: Sequence[LocalAuthority],
    regions: Sequence[Region],
    *,
    la_field: str = "local_authorities",
    region_field: str = "regions",
) -> None:
    """Check a role's scope: LA roles need local authorities, RISLs need regions, national
    analysts and access admins need neither. Errors are keyed by the form fields named, so a
    form can call this from ``clean()`` and show each message beside its field."""
    label = Role(role).label
    errors: dict[str, str] = {}
    if role in LA_SCOPED_ROLES and not local_authorities:
        errors[la_field] = f"Select a local authority for the {label} role"
    if role not in LA_SCOPED_ROLES and local_authorities:
        errors[la_field] = f"Do not select a local authority for the {label} role"
    if role in REGION_SCOPED_ROLES and not regions:
        errors[region_field] = f"Select a region for the {label} role"
    if role not in REGION_SCOPED_ROLES and regions:
        errors[region_field] = f"Do not select a region for the {label} role"
    if errors:
        raise ValidationError(errors)


def validate_new_email(email: str) -> None:
    """Refuse to invite someone who already has an account (under their main or any other
    address of theirs) or an open invitation: a second account for one person would split
    their access and their audit trail."""
    user = (
        User.objects.filter(email__iexact=email).first()
        or User.objects.filter(emailaddress__email__iexact=email).first()
    )
    if user is not None and user.is_active:
        raise ValidationError(
            {"email": "This person already has an account. Change their access on their user page"}
        )
    if user is not None:
        raise ValidationError(
            {"email": "This person has a deactivated account. Reactivate it instead"}
        )
    if Invitation.objects.pending().filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": "This person already has a pending invitation. Resend it instead"}
        )


def scope_description(
    role: str, local_authorities: Iterable[LocalAuthority], regions: Iterable[Region]
) -> str:
    """What a role with this scope gives access to, in words: "Barnsley (370)", "all local
    authorities", "no data" (for invitations and their emails)."""
    names = [str(la) for la in local_authorities] + [f"{r} region" for r in regions]
    if names:
        return ", ".join(names)
    return "all local authorities" if role == Role.NATIONAL_ANALYST else "no data"


def describe_inviter(invitation: Invitation) -> str:
    """Who sent an invitation, as the invited person should see it."""
    inviter = invitation.invited_by
    if inviter is None:
        return "An access admin"
    return f"{inviter.full_name} ({inviter.email})" if inviter.full_name else inviter.email


# --- Invitations ---------------------------------------------------------------------------


def invite(
    email: str,
    full_name: str,
    role: str,
    local_authorities: Sequence[LocalAuthority],
    regions: Sequence[Region],
    invited_by: User,
    request: HttpRequest,
) -> tuple[Invitation, str]:
    """Invite someone by email to a role and scope. Returns the invitation and the raw token
    (only its hash is stored). Raises ``ValidationError`` for an email that already has an
    account or a pending invitation, or a scope that does not fit the role, and
    ``PermissionDenied`` (audited) for an address of the inviter's own account."""
    email = email.strip().lower()
    refuse_own_address(email, invited_by, request)
    with transaction.atomic():
        validate_new_email(email)
        validate_scope(role, local_authorities, regions)
        invitation = Invitation(email=email, full_name=full_name, role=role, invited_by=invited_by)
        token = invitation.new_token()
        invitation.save()
        invitation.local_authorities.set(local_authorities)
        invitation.regions.set(regions)
        record(
            AuditAction.INVITATION_SENT,
            request=request,
            actor=invited_by,
            obj=invitation,
            organisation=_organisation(local_authorities, regions),
            **_invitation_details(invitation, local_authorities, regions),
        )
        # Sent inside the transaction: if the mail server refuses it, no invitation is left
        # behind that nobody received.
        _send_invitation_email(invitation, token, request)
    return invitation, token


def resend(invitation: Invitation, by: User, request: HttpRequest) -> str:
    """Email a new link for an invitation that has not been accepted or revoked (expired is
    fine). The new token replaces the old one, so the earlier link stops working, and the
    expiry clock restarts."""
    with transaction.atomic():
        invitation = _locked(invitation)
        if invitation.accepted_at or invitation.revoked_at:
            raise ValidationError(f"This invitation has been {invitation.status.lower()}")
        token = invitation.new_token()
        invitation.save(update_fields=["token_hash", "expires_at"])
        local_authorities, regions = _scope_of(invitation)
        record(
            AuditAction.INVITATION_RESENT,
            request=request,
            actor=by,
            obj=invitation,
            organisation=_organisation(local_authorities, regions),
            **_invitation_details(invitation, local_authorities, regions),
        )
        _send_invitation_email(invitation, token, request)
    return token


def revoke(invitation: Invitation, by: User, request: HttpRequest) -> None:
    """Stop an invitation's link from working. Accepted invitations cannot be revoked: remove
    the person's roles or deactivate them instead."""
    with transaction.atomic():
        invitation = _locked(invitation)
        if invitation.accepted_at or invitation.revoked_at:
            raise ValidationError(f"This invitation has already been {invitation.status.lower()}")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        local_authorities, regions = _scope_of(invitation)
        record(
            AuditAction.INVITATION_REVOKED,
            request=request,
            actor=by,
            obj=invitation,
            organisation=_organisation(local_authorities, regions),
            **_invitation_details(invitation, local_authorities, regions),
        )


def accept(invitation: Invitation, full_name: str, password: str, request: HttpRequest) -> User:
    """Create the invited person's account: the user with their password, a verified email
    address (the link proved they own it), and one membership per LA or region in the
    invitation (one unscoped membership otherwise). The invitation is then used up."""
    with transaction.atomic():
        invitation = _locked(invitation)
        # Checked again under the lock: two submissions of the same link must not both win.
        if invitation.status != "Pending":
            raise ValidationError("This invitation link has expired or has already been used")
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError("An account with this email address already exists")
        user = User.objects.create_user(
            email=invitation.email, password=password, full_name=full_name
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        local_authorities, regions = _scope_of(invitation)
        scopes: list[dict[str, Any]] = [{"local_authority": la} for la in local_authorities]
        scopes += [{"region": region} for region in regions]
        for scope in scopes or [{}]:
            Membership.objects.create(
                user=user, role=invitation.role, granted_by=invitation.invited_by, **scope
            )
        invitation.accepted_at = timezone.now()
        invitation.user = user
        invitation.save(update_fields=["accepted_at", "user"])
        record(
            AuditAction.INVITATION_ACCEPTED,
            request=request,
            actor=user,
            obj=invitation,
            organisation=_organisation(local_authorities, regions),
            **_invitation_details(invitation, local_authorities, regions),
        )
    return user


# --- Roles ---------------------------------------------------------------------------------


def grant(
    user: User,
    role: str,
    la_or_region: LocalAuthority | Region | None,
    by: User,
    request: HttpRequest,
) -> Membership:
    """Give ``user`` a role over one local authority, one region, or (for national analysts
    and access admins) nothing. Raises ``ValidationError`` if the scope does not fit the role
    or the user already holds exactly this membership, and ``PermissionDenied`` (audited) when
    ``by`` is ``user``."""
    _refuse_own_access(user, by, f"grant {role}", request)
    local_authority = la_or_region if isinstance(la_or_region, LocalAuthority) else None
    region = la_or_region if isinstance(la_or_region, Region) else None
    validate_scope(
        role,
        [local_authority] if local_authority else [],
        [region] if region else [],
        la_field="local_authority",
        region_field="region",
    )
    with transaction.atomic():
        if Membership.objects.filter(
            user=user, role=role, local_authority=local_authority, region=region
        ).exists():
            raise ValidationError(f"{user} already has this role for this scope")
        membership = Membership.objects.create(
            user=user, role=role, local_authority=local_authority, region=region, granted_by=by
        )
        record(
            AuditAction.ROLE_GRANTED,
            request=request,
            actor=by,
            obj=membership,
            organisation=_code(la_or_region),
            **_membership_details(membership),
        )
    return membership


def change_membership(
    membership: Membership,
    role: str,
    la_or_region: LocalAuthority | Region | None,
    by: User,
    request: HttpRequest,
) -> Membership:
    """Change one of a user's roles, or its scope, in one step. Removing the role and adding
    another would leave a moment with neither (or, the other way round, both) and two
    unrelated events in the trail; this changes the one membership in one transaction and
    records one event with what it was and what it became. Same checks as ``grant``:
    ``ValidationError`` for a scope that does not fit the role, for no change at all, or for
    a role and scope the user already holds in another membership; ``PermissionDenied``
    (audited) when ``by`` is the membership's user."""
    _refuse_own_access(membership.user, by, f"change {membership.role}", request)
    local_authority = la_or_region if isinstance(la_or_region, LocalAuthority) else None
    region = la_or_region if isinstance(la_or_region, Region) else None
    validate_scope(
        role,
        [local_authority] if local_authority else [],
        [region] if region else [],
        la_field="local_authority",
        region_field="region",
    )
    with transaction.atomic():
        current = _locked(membership)
        before = (current.role, current.local_authority, current.region)
        if before == (role, local_authority, region):
            raise ValidationError(f"{membership.user} already has this role for this scope")
        if (
            Membership.objects.filter(
                user_id=current.user_id, role=role, local_authority=local_authority, region=region
            )
            .exclude(pk=current.pk)
            .exists()
        ):
            raise ValidationError(
                f"{membership.user} already has this role for this scope in another row: "
                "remove this one instead"
            )
        current.role, current.local_authority, current.region = role, local_authority, region
        current.granted_by, current.granted_at = by, timezone.now()
        current.save(
            update_fields=["role", "local_authority", "region", "granted_by", "granted_at"]
        )
        record(
            AuditAction.ROLE_CHANGED,
            request=request,
            actor=by,
            obj=current,
            organisation=_code(la_or_region),
            **_membership_details(current),
            local_authority=_code(local_authority),
            region=_code(region),
            previous_role=before[0],
            previous_local_authority=_code(before[1]),
            previous_region=_code(before[2]),
        )
    return current


def remove_membership(membership: Membership, by: User, request: HttpRequest) -> None:
    """Take one role away from a user. Nobody removes their own roles (``PermissionDenied``,
    audited): that also means the service can never be left with nobody able to manage
    access by accident."""
    _refuse_own_access(membership.user, by, f"remove {membership.role}", request)
    with transaction.atomic():
        details = _membership_details(membership)
        organisation = _code(membership.local_authority or membership.region)
        record(
            AuditAction.ROLE_REMOVED,
            request=request,
            actor=by,
            obj=membership,
            organisation=organisation,
            **details,
        )
        membership.delete()


# --- Deactivation --------------------------------------------------------------------------


def deactivate(user: User, by: User, request: HttpRequest) -> int:
    """Stop ``user`` signing in and end every session they have, at once (ASVS 7.4.2).
    Their memberships are kept so reactivating restores the same access. Returns the number
    of sessions ended."""
    _refuse_own_access(user, by, "deactivate", request)
    with transaction.atomic():
        user = _locked(user)
        if not user.is_active:
            raise ValidationError(f"{user} is already deactivated")
        user.is_active = False
        user.deactivated_at = timezone.now()
        user.save(update_fields=["is_active", "deactivated_at"])
        sessions_ended = _end_sessions(user)
        record(
            AuditAction.USER_DEACTIVATED,
            request=request,
            actor=by,
            obj=user,
            user_email=user.email,
            sessions_ended=sessions_ended,
        )
    return sessions_ended


def reactivate(user: User, by: User, request: HttpRequest) -> None:
    """Let a deactivated user sign in again, with the roles they had."""
    _refuse_own_access(user, by, "reactivate", request)
    with transaction.atomic():
        user = _locked(user)
        if user.is_active:
            raise ValidationError(f"{user} is already active")
        user.is_active = True
        user.deactivated_at = None
        user.save(update_fields=["is_active", "deactivated_at"])
        record(
            AuditAction.USER_REACTIVATED, request=request, actor=by, obj=user, user_email=user.email
        )


# --- Helpers -------------------------------------------------------------------------------


def _locked(obj: _M) -> _M:
    """The row again, locked for the rest of the transaction, so concurrent changes queue."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def _scope_of(invitation: Invitation) -> tuple[list[LocalAuthority], list[Region]]:
    return list(invitation.local_authorities.order_by("name")), list(
        invitation.regions.order_by("name")
    )


def _code(la_or_region: LocalAuthority | Region | None) -> str:
    return la_or_region.code if la_or_region is not None else ""


def _organisation(local_authorities: Sequence[LocalAuthority], regions: Sequence[Region]) -> str:
    """The audit event's organisation column holds one code; several are listed in details."""
    scopes: list[LocalAuthority | Region] = [*local_authorities, *regions]
    return scopes[0].code if len(scopes) == 1 else ""


def _invitation_details(
    invitation: Invitation, local_authorities: Sequence[LocalAuthority], regions: Sequence[Region]
) -> dict[str, Any]:
    return {
        "invitee_email": invitation.email,
        "role": invitation.role,
        "local_authorities": [la.code for la in local_authorities],
        "regions": [r.code for r in regions],
    }


def _membership_details(membership: Membership) -> dict[str, Any]:
    return {
        "user_id": membership.user_id,
        "user_email": membership.user.email,
        "role": membership.role,
    }


def _send_invitation_email(invitation: Invitation, token: str, request: HttpRequest) -> None:
    local_authorities, regions = _scope_of(invitation)
    context = {
        "service_name": settings.SERVICE_NAME,
        "invitation": invitation,
        "inviter": describe_inviter(invitation),
        "scope": scope_description(invitation.role, local_authorities, regions),
        "accept_url": request.build_absolute_uri(reverse("access_admin:accept", args=[token])),
    }
    send_mail(
        subject=f"You have been invited to {settings.SERVICE_NAME}",
        message=render_to_string("access_admin/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _end_sessions(user: User) -> int:
    """End every session ``user`` has. allauth's user sessions cover sessions started since it
    was installed; Django's own session table is then scanned as well, in case a session was
    started some other way (a test client, the admin). Deleting through the session engine's
    store, not the ``Session`` model, also clears the cached copy (the engine is cached_db),
    which would otherwise keep the session alive."""
    ended = 0
    for user_session in UserSession.objects.filter(user=user):
        user_session.end()
        ended += 1
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    user_id = str(user.pk)
    # Sessions expire after 30 idle minutes, so the live ones are few enough to decode.
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == user_id:
            store_class(session.session_key).delete()
            ended += 1
    return ended
