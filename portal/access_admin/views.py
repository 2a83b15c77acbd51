"""Access administration pages: users, invitations, the access review and the audit trail.

Views parse the request, check permission, call ``portal.access_admin.services`` and redirect
(POST/redirect/GET); every change and its audit event happen in the service. These pages are
not organisation-scoped, so a signed-in user without the right role gets 403, not 404.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, timedelta
from typing import Any
from uuid import UUID

from allauth.account.internal.flows.login import perform_login
from allauth.account.models import Login
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.access import Action, requires
from portal.access_admin import audit_display, services
from portal.access_admin.forms import (
    AcceptInvitationForm,
    AddMembershipForm,
    AuditFilterForm,
    InviteForm,
    UserSearchForm,
)
from portal.access_admin.services import DATA_ROLES
from portal.adapters import EMAIL_PROVED_BY_INVITATION
from portal.audit import AuditAction, record
from portal.models import AuditEvent, Invitation, Membership, Role, User
from portal.spreadsheets import csv_download, csv_lines

PAGE_SIZE = 50
#: Users who have not signed in for this long are listed for the periodic access review.
REVIEW_AFTER = timedelta(days=90)
#: Columns of the audit export. The action and outcome come as their codes (stable, for
#: filtering) and in words (for the people reading the file).
CSV_COLUMNS = [
    "occurred_at_utc", "actor_email", "action", "action_description", "outcome",
    "outcome_description", "organisation", "object_type", "object_id", "request_id",
    "ip_address", "details", "organisation_name", "details_in_words",
]  # fmt: skip
#: Events described at a time in the export: each batch's references are looked up together.
CSV_BATCH = 2000


manage_access_required = requires(Action.MANAGE_ACCESS)


def _acting_user(request: HttpRequest) -> User:
    # The decorators above guarantee a signed-in user; this narrows the type for the services.
    assert isinstance(request.user, User)
    return request.user


def _paginate(request: HttpRequest, items: QuerySet[Any]) -> dict[str, Any]:
    """Context for ``access_admin/includes/pagination.html``: the page and its page links."""
    page: Page[Any] = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1),
    }


def _users_with_status() -> QuerySet[User]:
    """Users with what the lists show: their roles and scopes, and whether they have an
    authenticator app (``has_mfa``), fetched in a fixed number of queries."""
    memberships = Membership.objects.select_related("local_authority", "region", "granted_by")
    return User.objects.prefetch_related(Prefetch("memberships", queryset=memberships)).annotate(
        has_mfa=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        )
    )


# --- Users ---------------------------------------------------------------------------------


@require_GET
@manage_access_required
def users(request: HttpRequest) -> HttpResponse:
    """Everyone with an account, with their roles, MFA status and last sign-in."""
    form = UserSearchForm(request.GET)
    found = form.filter(_users_with_status().order_by("full_name", "email"))
    return render(request, "access_admin/users.html", {"form": form, **_paginate(request, found)})


@require_http_methods(["GET", "POST"])
@manage_access_required
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One user's details and roles; POST adds a role."""
    person = get_object_or_404(_users_with_status(), pk=pk)
    form = AddMembershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant(
                person, form.cleaned_data["role"], form.scope, _acting_user(request), request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{person} has been given the new role")
            return redirect("access_admin:user_detail", pk=person.pk)
    context = {
        "person": person,
        "form": form,
        "is_self": person.pk == request.user.pk,
        "invitation": person.invitations.filter(accepted_at__isnull=False).first(),
    }
    return render(request, "access_admin/user_detail.html", context)


def _membership(pk: int, membership_pk: int) -> Membership:
    """One of user ``pk``'s memberships, with what its pages show; 404 if it is not theirs."""
    return get_object_or_404(
        Membership.objects.select_related("user", "local_authority", "region"),
        pk=membership_pk,
        user_id=pk,
    )


@require_http_methods(["GET", "POST"])
@manage_access_required
def change_membership(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    """Change one role's role or scope in one step (``services.change_membership``), rather
    than removing it and adding another."""
    membership = _membership(pk, membership_pk)
    person = membership.user
    if person.pk == request.user.pk and request.method != "POST":
        # Nothing to offer. A POST goes on to the service, which refuses it and audits that.
        messages.error(request, "You cannot change your own roles. Ask another access admin")
        return redirect("access_admin:user_detail", pk=pk)
    form = AddMembershipForm(
        request.POST or None,
        initial={
            "role": membership.role,
            "local_authority": membership.local_authority_id,
            "region": membership.region_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        before = f"{membership.get_role_display()} ({membership.scope_label})"
        try:
            changed = services.change_membership(
                membership, form.cleaned_data["role"], form.scope, _acting_user(request), request
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"{person}'s role has been changed from {before} to "
                f"{changed.get_role_display()} ({changed.scope_label})",
            )
            return redirect("access_admin:user_detail", pk=pk)
    context = {"person": person, "membership": membership, "form": form}
    return render(request, "access_admin/change_membership.html", context)


@require_http_methods(["GET", "POST"])
@manage_access_required
def remove_membership(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    """Ask for confirmation (GET), saying what the person loses; then take the role away
    (POST)."""
    membership = _membership(pk, membership_pk)
    if request.method != "POST":
        if membership.user_id == request.user.pk:
            messages.error(request, "You cannot remove your own roles. Ask another access admin")
            return redirect("access_admin:user_detail", pk=pk)
        context = {
            "person": membership.user,
            "membership": membership,
            "loses": services.role_allows(membership.role),
            "others": membership.user.memberships.exclude(pk=membership.pk).select_related(
                "local_authority", "region"
            ),
        }
        return render(request, "access_admin/remove_membership.html", context)
    _run(
        request,
        services.remove_membership,
        membership,
        f"{membership.get_role_display()} ({membership.scope_label}) has been removed "
        f"from {membership.user}",
    )
    return redirect("access_admin:user_detail", pk=pk)


@require_http_methods(["GET", "POST"])
@manage_access_required
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for confirmation (GET), then deactivate the user and end their sessions (POST)."""
    person = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        _run(request, services.deactivate, person, f"{person} has been deactivated and signed out")
        return redirect("access_admin:user_detail", pk=pk)
    if person.pk == request.user.pk or not person.is_active:
        # Nothing to confirm: say why on the user's page instead.
        messages.error(
            request,
            "You cannot deactivate your own account"
            if person.pk == request.user.pk
            else f"{person} is already deactivated",
        )
        return redirect("access_admin:user_detail", pk=pk)
    return render(request, "access_admin/deactivate.html", {"person": person})


@require_POST
@manage_access_required
def reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a deactivated user sign in again."""
    person = get_object_or_404(User, pk=pk)
    _run(request, services.reactivate, person, f"{person} has been reactivated")
    return redirect("access_admin:user_detail", pk=pk)


@require_GET
@manage_access_required
def access_review(request: HttpRequest) -> HttpResponse:
    """Active users who have not signed in for 90 days, or who never signed in and were
    invited (or had their account created) more than 90 days ago: candidates to deactivate.
    Above them, everyone who holds both an access admin role and a data role."""
    cutoff = timezone.now() - REVIEW_AFTER
    stale = (
        _users_with_status()
        .filter(is_active=True)
        .annotate(invited_at=Coalesce(Min("invitations__created_at"), "date_joined"))
        .filter(Q(last_login__lt=cutoff) | Q(last_login__isnull=True, invited_at__lt=cutoff))
        .order_by("last_login", "invited_at")
    )
    # Separation of duties: someone who manages access and also sees data needed a second
    # access admin to get there, and the review is where that pairing is checked again.
    both_kinds = (
        _users_with_status()
        .filter(is_active=True, memberships__role=Role.ACCESS_ADMIN)
        .filter(Exists(Membership.objects.filter(user=OuterRef("pk"), role__in=DATA_ROLES)))
        .distinct()
        .order_by("full_name", "email")
    )
    return render(
        request,
        "access_admin/access_review.html",
        {"review_days": REVIEW_AFTER.days, "both_kinds": both_kinds, **_paginate(request, stale)},
    )


# --- Invitations ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manage_access_required
def invite(request: HttpRequest) -> HttpResponse:
    """Invite someone to a role and scope; they get an email with a single-use link."""
    if request.method == "POST":
        # Before the form, which would only say the address already has an account.
        services.refuse_own_address(request.POST.get("email", ""), _acting_user(request), request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.invite(
                data["email"],
                data["full_name"],
                data["role"],
                list(data["local_authorities"]),
                list(data["regions"]),
                _acting_user(request),
                request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"An invitation has been sent to {data['email']}")
            return redirect("access_admin:invitations")
    return render(request, "access_admin/invite.html", {"form": form})


@require_GET
@manage_access_required
def invitations(request: HttpRequest) -> HttpResponse:
    """Every invitation, newest first, with its status and scope."""
    listed = Invitation.objects.select_related("invited_by").prefetch_related(
        "local_authorities", "regions"
    )
    context = _paginate(request, listed)
    context["rows"] = [
        (inv, services.scope_description(inv.role, inv.local_authorities.all(), inv.regions.all()))
        for inv in context["page_obj"]
    ]
    return render(request, "access_admin/invitations.html", context)


@require_POST
@manage_access_required
def resend(request: HttpRequest, invitation_id: UUID) -> HttpResponse:
    """Email a fresh link; the old one stops working."""
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    _run(
        request,
        services.resend,
        invitation,
        f"A new invitation has been sent to {invitation.email}",
    )
    return redirect("access_admin:invitations")


@require_POST
@manage_access_required
def revoke(request: HttpRequest, invitation_id: UUID) -> HttpResponse:
    """Stop an invitation's link working."""
    invitation = get_object_or_404(Invitation, pk=invitation_id)
    _run(
        request,
        services.revoke,
        invitation,
        f"The invitation to {invitation.email} has been revoked",
    )
    return redirect("access_admin:invitations")


@login_not_required
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: the invited person names themselves and chooses a password, then
    sets up their authenticator app, and only then is signed in."""
    if request.user.is_authenticated:
        # Accepting while signed in as someone else would mix two people's sessions.
        return render(request, "access_admin/accept_signed_in.html")
    invitation = Invitation.find_pending(token)
    if invitation is None:
        return render(request, "access_admin/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept(
                invitation, form.cleaned_data["full_name"], form.cleaned_data["password"], request
            )
        except ValidationError:
            return render(request, "access_admin/invitation_invalid.html", status=404)
        # Not signed in yet: allauth's sign-in stages run, and the last one has them set up
        # their authenticator app first. The link came by email, so no emailed code is
        # needed to prove the address (portal.adapters).
        pending = Login(user=user, email=user.email, state={EMAIL_PROVED_BY_INVITATION: True})
        return perform_login(request, pending)
    scope = services.scope_description(
        invitation.role, invitation.local_authorities.all(), invitation.regions.all()
    )
    return render(
        request,
        "govuk/form_page.html",
        {
            "form": form,
            "title": "Create your account",
            "lead": (
                f"{services.describe_inviter(invitation)} has invited {invitation.email} to use "
                f"this service as {invitation.get_role_display()}, with access to {scope}. "
                "After you create your account you will set up an authenticator app."
            ),
            "button": "Create account",
        },
    )


# --- Audit trail ---------------------------------------------------------------------------


@require_GET
@requires(Action.VIEW_AUDIT)
def audit(request: HttpRequest) -> HttpResponse:
    """The audit trail, newest first, filtered by the GET form and paginated."""
    form = AuditFilterForm(request.GET)
    form.is_valid()  # invalid filters are shown as errors and the valid ones still apply
    events = form.filter(AuditEvent.objects.all())
    context = _paginate(request, events)
    # What each event on the page refers to, in words (looked up once for the page).
    context["rows"] = audit_display.describe(context["page_obj"])
    return render(request, "access_admin/audit.html", {"form": form, **context})


@require_GET
@requires(Action.VIEW_AUDIT)
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered audit trail as CSV, streamed so a long trail never sits in memory.
    Downloading the trail is itself audited."""
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return redirect(f"{reverse('access_admin:audit')}?{request.GET.urlencode()}")
    events = form.filter(AuditEvent.objects.all())
    record(
        AuditAction.EXPORT,
        request=request,
        object_type="audit_trail",
        rows=events.count(),
        filters=form.audit_details,
    )
    filename = f"audit-trail-{timezone.now():%Y%m%d-%H%M%S}.csv"
    return csv_download(filename, csv_lines(CSV_COLUMNS, _csv_rows(events)))


def _csv_rows(events: QuerySet[AuditEvent]) -> Iterator[tuple[str, ...]]:
    """The stored values as they are (for filtering and evidence), then the organisation and
    details in words."""
    for batch in _batched(events.iterator(chunk_size=CSV_BATCH), CSV_BATCH):
        for row in audit_display.describe(batch):
            yield (*_csv_raw(row.event), row.organisation, row.text)


def _batched(items: Iterable[Any], size: int) -> Iterator[tuple[Any, ...]]:
    """Tuples of ``size`` items (``itertools.batched`` from Python 3.12 on)."""
    iterator = iter(items)
    while batch := tuple(itertools.islice(iterator, size)):
        yield batch


def _csv_raw(event: AuditEvent) -> tuple[str, ...]:
    return (
        event.occurred_at.astimezone(UTC).isoformat(),
        event.actor_email,
        event.action,
        event.get_action_display(),
        event.outcome,
        event.get_outcome_display(),
        event.organisation,
        event.object_type,
        event.object_id,
        event.request_id,
        event.ip_address or "",
        json.dumps(event.details, sort_keys=True),
    )


# --- Helpers -------------------------------------------------------------------------------


def _run(request: HttpRequest, change: Callable[..., Any], target: Any, success: str) -> None:
    """Call a service that changes ``target`` as the signed-in user, and tell them how it went:
    the success message, or the service's reason for refusing."""
    try:
        change(target, _acting_user(request), request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success)
