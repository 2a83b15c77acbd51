"""Access-admin pages for API clients: list, create, rotate and revoke.

A client's secret and supplier key exist in clear only in the response to the POST that
made them (create or rotate): the page shows them once, with the sender settings to use,
and says they cannot be shown again. Signed-in pages are never cached
(``NoStoreForSignedInMiddleware``), so the browser does not keep them either.

Each create and rotate form carries a one-time token (``_issue_once``), used up by its POST:
reloading the credentials page (which posts the form again) or a double click makes no
second client and replaces nothing, and says so.
"""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from portal import api_clients
from portal.access import Action, requires
from portal.models import ApiClientAccount, LocalAuthority, User

manage_access_required = requires(Action.MANAGE_ACCESS)

ONCE_KEY = "api_client_forms"
ALREADY_DONE = (
    "That form was already sent, and its credentials were shown once. Nothing more was "
    "changed. If nobody kept them, replace the client's credentials."
)


def _issue_once(request: HttpRequest) -> str:
    """A token for one form, kept in the session (the last few, for several tabs)."""
    token = secrets.token_urlsafe(16)
    request.session[ONCE_KEY] = [*request.session.get(ONCE_KEY, [])[-4:], token]
    return token


def _use_once(request: HttpRequest) -> bool:
    """Whether the POST carries a token issued and not used yet (it is used up now)."""
    token = request.POST.get("once", "")
    issued = request.session.get(ONCE_KEY, [])
    if not token or token not in issued:
        return False
    request.session[ONCE_KEY] = [t for t in issued if t != token]
    return True


class CreateApiClientForm(forms.Form):
    once = forms.CharField(widget=forms.HiddenInput, required=False)
    local_authority = forms.ModelChoiceField(
        label="Local authority",
        help_text="The client may send data for this local authority only.",
        queryset=LocalAuthority.objects.current().order_by("name"),
        empty_label="Choose a local authority",
        error_messages={"required": "Choose the local authority the client sends data for"},
    )


def _acting_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _accounts() -> QuerySet[ApiClientAccount]:
    return ApiClientAccount.objects.select_related("application", "local_authority", "created_by")


@require_GET
@manage_access_required
def api_clients_list(request: HttpRequest) -> HttpResponse:
    """Every API client, with its LA and status."""
    return render(request, "access_admin/api_clients.html", {"accounts": _accounts()})


def _show_credentials(
    request: HttpRequest, credentials: api_clients.Credentials, heading: str
) -> HttpResponse:
    return render(
        request,
        "access_admin/api_client_credentials.html",
        {"credentials": credentials.as_dict(), "account": credentials.account, "heading": heading},
    )


@require_http_methods(["GET", "POST"])
@manage_access_required
def api_client_create(request: HttpRequest) -> HttpResponse:
    """Choose the LA (GET), then create the client and show its credentials once (POST)."""
    form = CreateApiClientForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not _use_once(request):
            messages.info(request, ALREADY_DONE)
            return redirect("access_admin:api_clients")
        credentials = api_clients.create(
            form.cleaned_data["local_authority"], _acting_user(request), request
        )
        return _show_credentials(request, credentials, "API client created")
    if not form.is_bound:
        # Shown again with errors, the form keeps its token: it was not used.
        form = CreateApiClientForm(initial={"once": _issue_once(request)})
    return render(
        request,
        "govuk/form_page.html",
        {
            "form": form,
            "title": "Create an API client",
            "lead": "A local authority's case-management system uses an API client to send "
            "its data. You will see the client's secret and supplier key once, on the next "
            "page.",
            "button": "Create API client",
        },
    )


@require_http_methods(["GET", "POST"])
@manage_access_required
def api_client_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then replace the secret and supplier key and show them once (POST)."""
    account = get_object_or_404(_accounts(), pk=pk)
    if not account.is_active:
        messages.error(request, "This API client has been revoked")
        return redirect("access_admin:api_clients")
    if request.method == "POST":
        if not _use_once(request):
            messages.info(request, ALREADY_DONE)
            return redirect("access_admin:api_clients")
        credentials = api_clients.rotate(account, _acting_user(request), request)
        return _show_credentials(request, credentials, "New credentials for the API client")
    return render(
        request,
        "access_admin/api_client_confirm.html",
        {"account": account, "rotate": True, "once": _issue_once(request)},
    )


@require_http_methods(["GET", "POST"])
@manage_access_required
def api_client_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then revoke the client: its tokens stop working at once (POST)."""
    account = get_object_or_404(_accounts(), pk=pk)
    if not account.is_active:
        messages.error(request, "This API client has already been revoked")
        return redirect("access_admin:api_clients")
    if request.method == "POST":
        api_clients.revoke(account, _acting_user(request), request)
        messages.success(
            request, f"The API client for {account.local_authority.name} has been revoked"
        )
        return redirect("access_admin:api_clients")
    return render(
        request, "access_admin/api_client_confirm.html", {"account": account, "rotate": False}
    )
