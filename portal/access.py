"""The one access module: what each role may do, and to which organisations' data.

Every view, export, dashboard query and form choice that touches organisation-owned data goes
through here:

* ``can(user, action, la)`` — may this user do this to this LA's data?
* ``local_authorities_for(user, action)`` — the LAs this user may do it for (form choices).
* ``OrgScopedQuerySet.restrict(user, action)`` — organisation-owned rows the user may see.
* ``get_for_user_or_404(queryset, user, action, **lookup)`` — a single object: 404 when the
  user cannot see it at all (its existence is not revealed), 403 when they can see it but the
  action is not theirs.
* ``@requires(action)`` — the decorator every signed-in view wears. It declares the action
  the view needs (the permission-matrix test reads it), refuses a user whose roles never
  allow it, and audits every refusal the view raises (403 or 404), so a refused attempt on
  another organisation's object always leaves a trace.

Roles are compared nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseBase

from portal.audit import AuditAction, AuditOutcome, record
from portal.models import LocalAuthority, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.models import User

__all__ = [
    "Action",
    "ApiClient",
    "AuditedRefusal",
    "OrgScopedQuerySet",
    "can",
    "can_manage_access",
    "get_for_user_or_404",
    "local_authorities_for",
    "requires",
    "scope_fingerprint",
]


class Action(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"  # aggregates (disclosure-controlled for DfE roles)
    VIEW_CHILD_LEVEL = "view_child_level"  # child-level records and drill-down: LA users only
    VIEW_REPORT = "view_report"  # validation reports (contain child identifiers)
    UPLOAD = "upload"
    DECIDE = "decide"  # explain queries, accept a submission
    WRITE_NOTE = "write_note"  # context notes on the dashboard
    MANAGE_ACCESS = "manage_access"  # not organisation-scoped
    VIEW_AUDIT = "view_audit"  # not organisation-scoped


ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.LA_DATA_LEAD: frozenset(
        {
            Action.VIEW_DASHBOARD,
            Action.VIEW_CHILD_LEVEL,
            Action.VIEW_REPORT,
            Action.UPLOAD,
            Action.DECIDE,
            Action.WRITE_NOTE,
        }
    ),
    Role.LA_VIEWER: frozenset({Action.VIEW_DASHBOARD, Action.VIEW_CHILD_LEVEL, Action.VIEW_REPORT}),
    # DfE roles see aggregates only: never child-level records or validation reports.
    Role.DFE_CASE_LEAD: frozenset({Action.VIEW_DASHBOARD}),
    Role.RISL: frozenset({Action.VIEW_DASHBOARD}),
    Role.NATIONAL_ANALYST: frozenset({Action.VIEW_DASHBOARD}),
    # Access admins manage access and read the audit trail, and see no data.
    Role.ACCESS_ADMIN: frozenset({Action.MANAGE_ACCESS, Action.VIEW_AUDIT}),
}

#: What an API client may do, for its one LA: push extracts. It never reads anything back
#: beyond what the intake itself answers.
API_CLIENT_ACTIONS = frozenset({Action.UPLOAD})

#: Any of these lets a user know an LA's objects exist (so 403, not 404, for other actions).
VISIBILITY_ACTIONS = frozenset({Action.VIEW_DASHBOARD, Action.VIEW_REPORT, Action.UPLOAD})


@dataclass(frozen=True)
class ApiClient:
    """A case-management system that pushes one LA's extracts through the API intake.

    It is a principal like a signed-in person, so the same ``can``/``restrict`` calls decide
    what it may do, but it is bound to exactly one LA and holds ``API_CLIENT_ACTIONS`` only,
    whatever roles the people who set it up have.
    """

    name: str
    local_authority_id: int
    is_active: bool = True

    @property
    def is_authenticated(self) -> bool:
        return True


#: Who is asking: a person (signed in or not) or an API client.
Principal: TypeAlias = "User | AnonymousUser | ApiClient"


@dataclass(frozen=True)
class _Grant:
    """One scope and what may be done in it: an LA, a region, or (both None) every LA."""

    actions: frozenset[Action]
    local_authority_id: int | None = None
    region_id: int | None = None


def _grants(principal: Principal) -> list[_Grant]:
    if not principal.is_authenticated or not principal.is_active:
        return []
    if isinstance(principal, ApiClient):
        return [_Grant(API_CLIENT_ACTIONS, local_authority_id=principal.local_authority_id)]
    cache = getattr(principal, "_grant_cache", None)
    if cache is None:
        cache = [
            _Grant(ROLE_ACTIONS[Role(m.role)], m.local_authority_id, m.region_id)
            for m in principal.memberships.all()
        ]
        principal._grant_cache = cache  # type: ignore[attr-defined]
    return cache


def scope_fingerprint(principal: Principal) -> str:
    """A stable text naming everything ``principal`` may do where: two principals with the
    same fingerprint have the same scope (for caches keyed by scope)."""
    grants = sorted(
        (sorted(grant.actions), grant.local_authority_id or 0, grant.region_id or 0)
        for grant in _grants(principal)
    )
    return repr(grants)


def local_authorities_for(user: Principal, action: Action) -> models.QuerySet[LocalAuthority]:
    """The local authorities whose data ``user`` (a person or an API client) may ``action``."""
    la_ids: set[int] = set()
    region_ids: set[int] = set()
    everything = False
    for grant in _grants(user):
        if action not in grant.actions:
            continue
        if grant.local_authority_id:
            la_ids.add(grant.local_authority_id)
        elif grant.region_id:
            region_ids.add(grant.region_id)
        else:
            everything = True
    if everything:
        return LocalAuthority.objects.all()
    if not la_ids and not region_ids:
        return LocalAuthority.objects.none()
    # A region scope covers LAs in the region and, for London, in its sub-regions.
    return LocalAuthority.objects.filter(
        models.Q(id__in=la_ids)
        | models.Q(region_id__in=region_ids)
        | models.Q(sub_region_id__in=region_ids)
    )


def can(user: Principal, action: Action, la: LocalAuthority | None = None) -> bool:
    """May ``user`` do ``action`` (to ``la``'s data, for organisation-scoped actions)?"""
    grants = [grant for grant in _grants(user) if action in grant.actions]
    if la is None:
        return bool(grants)
    # The same scopes as ``local_authorities_for``, decided from the LA row in hand (pages
    # ask this many times per request; no query is needed).
    return any(
        (grant.local_authority_id is None and grant.region_id is None)
        or grant.local_authority_id == la.pk
        or (grant.region_id is not None and grant.region_id in (la.region_id, la.sub_region_id))
        for grant in grants
    )


def can_manage_access(user: Principal) -> bool:
    return can(user, Action.MANAGE_ACCESS)


_M = TypeVar("_M", bound=models.Model)


class OrgScopedQuerySet(models.QuerySet[_M]):
    """A queryset of rows owned by a local authority. ``la_field`` names the path to it."""

    la_field = "local_authority"

    def restrict(self, user: Principal, action: Action) -> OrgScopedQuerySet[_M]:
        allowed = local_authorities_for(user, action)
        return self.filter(**{f"{self.la_field}__in": allowed})


def get_for_user_or_404(queryset: OrgScopedQuerySet[_M], user: Principal, action: Action,
                        **lookup: Any) -> _M:  # fmt: skip
    """Fetch one organisation-owned object for ``action``.

    404 when the object does not exist or belongs to an LA the user cannot see at all; 403 when
    the user can see it but their role does not allow ``action``.
    """
    try:
        obj = queryset.restrict(user, action).get(**lookup)
    except ObjectDoesNotExist:
        pass
    else:
        return obj
    visible = queryset.none()
    for visibility in VISIBILITY_ACTIONS:
        visible = visible | queryset.restrict(user, visibility)
    if visible.filter(**lookup).exists():
        raise Refused(_organisation_of(queryset, lookup))
    # Whether the object exists in another organisation is recorded in the audit trail (for
    # whoever investigates), never told to the user: both cases are the same 404.
    raise OutOfScope(_organisation_of(queryset, lookup))


class Refused(PermissionDenied):
    """403: the user can see the object's organisation, but their role does not allow the
    action. Carries the organisation's code for the audit event."""

    def __init__(self, organisation: str = "") -> None:
        super().__init__()
        self.organisation = organisation


class AuditedRefusal(PermissionDenied):
    """403 raised by a service that has written its own, more specific ACCESS_DENIED event
    (for example, someone trying to change their own access): ``requires`` does not audit it
    a second time."""


class OutOfScope(Http404):
    """404: no such object, or one in an organisation the user cannot see (``organisation``
    is then its code, for the audit event; empty when the object does not exist)."""

    def __init__(self, organisation: str = "") -> None:
        super().__init__()
        self.organisation = organisation


def _organisation_of(queryset: OrgScopedQuerySet[Any], lookup: dict[str, Any]) -> str:
    code = (
        queryset.model._default_manager.filter(**lookup)
        .values_list(f"{queryset.la_field}__code", flat=True)
        .first()
    )
    return code or ""


View = Callable[..., HttpResponseBase]


def requires(
    action: Action, *, per_object: bool = False, conceal: bool = False
) -> Callable[[View], View]:
    """Declare that a view needs ``action``, and guard it.

    A user none of whose roles allows ``action`` for any organisation gets 403 before the
    view runs. A view of one organisation-owned object says ``per_object=True`` and fetches
    it with ``get_for_user_or_404``, which decides instead: 404 outside the user's
    organisations (even for a role that could never act, so that no one learns the object
    exists), 403 for a role that can see it but not act. Every refusal, from either place,
    is written to the audit trail here: failed authorisation is a security event, and this
    is the one place all of them pass through. The declared action is kept on the view as
    ``required_action`` for the permission-matrix test.

    ``conceal=True`` turns every 403 into a 404: for pages whose very offer must not reach
    those who cannot act (the drill-down to child records, for DfE roles), so a refused
    person is told nothing more than that there is no such page.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if not per_object and not can(request.user, action):
                    raise Refused
                return view(request, *args, **kwargs)
            except AuditedRefusal:
                raise
            except (PermissionDenied, Http404) as refusal:
                if conceal and isinstance(refusal, PermissionDenied):
                    refusal = OutOfScope(getattr(refusal, "organisation", ""))
                _audit_refusal(request, action, refusal)
                raise refusal from None

        wrapped.required_action = action  # type: ignore[attr-defined]
        wrapped.per_object = per_object  # type: ignore[attr-defined]
        wrapped.conceal = conceal  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _audit_refusal(request: HttpRequest, action: Action, refusal: Exception) -> None:
    status = 404 if isinstance(refusal, Http404) else 403
    record(
        AuditAction.ACCESS_DENIED,
        request=request,
        outcome=AuditOutcome.DENIED,
        organisation=getattr(refusal, "organisation", ""),
        path=request.path,
        method=request.method,
        required=str(action),
        status=status,
    )
