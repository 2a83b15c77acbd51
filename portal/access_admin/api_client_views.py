"""Access-admin pages for API clients: list, create, rotate and revoke.

A client's secret and supplier key exist in clear only in the response to the POST that
made them (create or rotate): the page shows them once, with the sender settings to use,
and says they cannot be shown again. Signed-in pages are never cached
(``NoStoreForSignedInMiddleware``), so the browser does not keep them either.
"""

from __future__ import annotations

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


class CreateApiClientForm(forms.Form):
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
        credentials = api_clients.create(
            form.cleaned_data["local_authority"], _acting_user(request), request
        )
        return _show_credentials(request, credentials, "API client created")
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
        credentials = api_clients.rotate(account, _acting_user(request), request)
        return _show_credentials(request, credentials, "New credentials for the API client")
    return render(
        request, "access_admin/api_client_confirm.html", {"account": account, "rotate": True}
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
