"""The permission matrix: every URL in the URL conf, for every role (and anonymous).

A view is either on the public allow-list below or access-controlled; a new view that is
neither fails here. Expected outcomes:

* public pages answer everyone;
* signed-in pages send anonymous visitors to sign in;
* a view of ours declares its action with ``portal.access.requires``, and what each role
  gets from it (200, 403 or 404, for its own or another organisation's object) is derived
  here from the role table (``ROLE_ACTIONS``) and that declaration, so a new page is covered
  by declaring its action;
* the Django admin answers only staff.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from portal.access import ROLE_ACTIONS, VISIBILITY_ACTIONS
from portal.models import Role

# Views anyone may open without signing in. Adding a name here is a security decision.
PUBLIC_VIEWS = {
    "home", "accessibility", "privacy", "cookies", "health",
    # allauth's own entrance pages (sign-up is closed by the adapter)
    "account_login", "account_logout", "account_inactive", "account_signup",
    "account_email_verification_sent", "account_reset_password", "account_confirm_login_code",
    "account_confirm_email", "account_reset_password_from_key_done",
    "account_reset_password_from_key", "account_reset_password_done", "mfa_authenticate",
    # the admin's sign-in goes through allauth (secure_admin_login)
    "admin:login",
    # invitation links and the "you have been signed out" page
    "access_admin:accept", "session:timed_out",
    # the last sign-in stage for an account with no authenticator (allauth's stage guard
    # sends anyone without a pending sign-in away)
    "session:set_up_authenticator",
    # answers 401 itself (the timeout warning's script must not follow a redirect)
    "session:extend",
    # the public dashboard of published figures
    "dashboards:index", "dashboards:indicator", "dashboards:indicator_csv",
    "dashboards:la_summary", "dashboards:la_summary_csv",
    "dashboards:indicator_data", "dashboards:dashboard_data", "dashboards:timely_definitions",
    # the API intake: an OAuth2 token endpoint and the endpoint senders post to; both
    # authenticate API clients themselves (client secret; bearer token and SupplierKey)
    "api_token", "api:children",
}  # fmt: skip

ROLES = ["lead", "viewer", "other_lead", "case_lead", "risl", "analyst", "access_admin"]
NOT_PERMITTED = {403, 404, 405}


def walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace + (p.name or ""), p.callback


ALL_URLS = list(walk(get_resolver().url_patterns))


def sample_path(route: str, values: dict[str, str]) -> str:
    """Turn a route (path converters or regex) into a concrete path with sample arguments."""
    route = route.replace("^", "").replace("$", "")
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), route)
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), "x1"), route)
    return "/" + route


def test_every_view_is_public_by_allow_list_or_needs_sign_in() -> None:
    public = {name for _, name, view in ALL_URLS if getattr(view, "login_required", True) is False}

    assert public <= PUBLIC_VIEWS, (
        f"views public but not on the allow-list: {public - PUBLIC_VIEWS}"
    )


#: Our own signed-in pages that serve every signed-in user whatever their role.
FOR_EVERY_SIGNED_IN_USER: set[str] = set()
OUR_APPS = ("portal.", "submissions.", "dashboards.", "indicators.")


def test_every_signed_in_view_of_ours_declares_the_action_it_needs() -> None:
    """``portal.access.requires`` guards a view and audits its refusals: a new page that
    forgets it fails here, before anyone can reach it without the check."""
    undeclared = [
        f"{name} ({view.__module__})"
        for _, name, view in ALL_URLS
        if view.__module__.startswith(OUR_APPS)
        and not name.startswith("admin:")  # the Django admin's own staff check guards it
        and name not in PUBLIC_VIEWS | FOR_EVERY_SIGNED_IN_USER
        and not hasattr(view, "required_action")
    ]

    assert undeclared == []


@pytest.fixture
def samples(personas: dict[str, Any]) -> dict[str, str]:
    """Arguments for URLs with parameters: real objects, so a view gets past its 404."""
    from indicators.notes import write_note
    from portal.models import Invitation, LocalAuthority
    from submissions.models import Submission, SubmissionFile, ValidationFinding

    # A Barnsley submission: Barnsley users may see it, Leeds users must get 404.
    submission = Submission.objects.create(
        local_authority=LocalAuthority.objects.get(code="370"),
        created_by=personas["lead"],
        as_of="2026-03-31",
        status=Submission.Status.READY,
    )
    upload = SubmissionFile.objects.create(
        submission=submission, display_name="episodes.csv", size=1, sha256="0" * 64,
        wrapped_key=b"",
    )  # fmt: skip
    ValidationFinding.objects.create(
        submission=submission, code="8675Q", severity="query", message="Check this."
    )
    invitation = Invitation(
        email="x@example.org", role="la_viewer", invited_by=personas["access_admin"]
    )
    invitation.new_token()
    invitation.save()
    # A context note on one of Barnsley's indicators: Barnsley's users and the DfE roles that
    # cover it may read it, only its data lead may edit it.
    note = write_note(
        personas["lead"], submission.local_authority, "repeat_cpp_12m", None, "Sample note."
    )
    return {
        "pk": str(personas["lead"].pk),
        "user_id": str(personas["lead"].pk),
        "invitation_id": str(invitation.pk),
        "pk_uuid": str(invitation.pk),
        "object_id": str(personas["lead"].pk),
        "url": "nothing",
        "submission_id": str(submission.pk),
        "file_id": str(upload.pk),
        "code": "8675Q",
        "la_code": "370",
        "indicator_id": "repeat_cpp_12m",
        "note_id": str(note.pk),
        "fmt": "csv",  # the restricted dashboards' downloads
    }


#: Each persona's role, and whether its scope covers Barnsley (370), whose submission, file,
#: finding and context note are the sample objects (see the ``personas`` fixture and
#: ``samples``).
PERSONAS: dict[str, tuple[Role, bool]] = {
    "lead": (Role.LA_DATA_LEAD, True),
    "viewer": (Role.LA_VIEWER, True),
    "other_lead": (Role.LA_DATA_LEAD, False),  # Leeds
    "case_lead": (Role.DFE_CASE_LEAD, True),  # assigned Barnsley
    "risl": (Role.RISL, True),  # Yorkshire and the Humber
    "analyst": (Role.NATIONAL_ANALYST, True),  # every LA
    "access_admin": (Role.ACCESS_ADMIN, False),  # no data
}
#: Answers to someone allowed in: a page, a redirect after it, 405 for the GET of a POST-only
#: action, 410 for a raw file whose blob the sample never stored, 404 for a sample key that
#: names nothing (access administration's user and invitation ids).
ALLOWED = {200, 302, 404, 405, 410}


def _declared_expectations(view: Any, persona: str) -> set[int]:
    """What ``persona`` gets from a view that declares its action (``portal.access.requires``),
    derived from the role table: a view that is not per object answers anyone whose role
    holds the action anywhere, 403 otherwise; a view of one of Barnsley's objects answers
    those who may act on Barnsley, 403 to those who can see Barnsley but not act, and 404 to
    everyone else (the object's existence is not revealed); a view that ``conceal``s answers
    404 wherever it would answer 403. 405 is always possible: a POST-only action refuses a
    GET before anything else happens."""
    role, covers_barnsley = PERSONAS[persona]
    actions = ROLE_ACTIONS[role]
    refused = {404, 405} if view.conceal else {403, 405}
    if not view.per_object:
        return ALLOWED if view.required_action in actions else refused
    if covers_barnsley and view.required_action in actions:
        return ALLOWED
    if covers_barnsley and actions & VISIBILITY_ACTIONS:
        return refused
    return {404, 405}


def expected_for(name: str, view: Any, persona: str | None) -> set[int]:
    """Allowed status codes for a GET of ``name`` by ``persona`` (None = anonymous)."""
    if name.startswith("admin:") and persona is not None:
        # None of the personas is staff: the admin's sign-in refuses them, the rest redirect.
        return {302, 403} if name == "admin:login" else {302}
    if name in PUBLIC_VIEWS:
        return {200, 302, 404, 405}  # 302: e.g. sign-in page for a signed-in user; 404: bad key
    if persona is None:
        return {302}  # to the sign-in page (checked below)
    if hasattr(view, "required_action"):
        return _declared_expectations(view, persona)
    # allauth's account pages: every signed-in user has their own.
    return {200, 302, 404, 405}


def test_the_derivation_matches_what_the_role_table_says_of_barnsleys_submission() -> None:
    """A spot check that the derivation above says what the service promises in words."""
    by_name = {name: view for _, name, view in ALL_URLS}
    report = by_name["submissions:report"]
    assert _declared_expectations(report, "lead") == ALLOWED
    assert _declared_expectations(report, "other_lead") == {404, 405}  # Leeds: no such thing
    assert _declared_expectations(report, "access_admin") == {404, 405}
    assert _declared_expectations(report, "case_lead") == {403, 405}  # DfE: no child data
    assert _declared_expectations(by_name["submissions:raw_file"], "viewer") == {403, 405}
    assert _declared_expectations(by_name["access_admin:users"], "analyst") == {403, 405}


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, samples: dict[str, str]) -> None:
    failures = []
    for route, name, _ in ALL_URLS:
        if name in PUBLIC_VIEWS:
            continue
        response = client.get(sample_path(route, samples))
        location = response.headers.get("Location", "")
        if response.status_code == 405:
            continue  # a POST-only endpoint refuses the GET before anything else happens
        if response.status_code != 302 or "login" not in location:
            failures.append(f"{name} {route}: {response.status_code} {location}")
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ROLES)
def test_each_role_gets_only_what_it_may(
    client: Client, personas: dict[str, Any], samples: dict[str, str], persona: str
) -> None:
    client.force_login(personas[persona])
    failures = []
    for route, name, view in ALL_URLS:
        if name in {"account_logout", "session:timed_out"}:
            continue  # would end this client's session for the rest of the walk
        response = client.get(sample_path(route, samples))
        if response.status_code not in expected_for(name, view, persona):
            failures.append(f"{name} {route}: {response.status_code}")
    assert failures == [], "\n".join(failures)
