"""``POST /api/children_social_care_data/<la_code>/children``, as the DfE's receiver answers
Data to Insight's sender (``api_pipeline/api.py``).

In order, cheapest refusal first, each call audited (client, LA, record count, outcome,
status; never child data, and nothing of the body is logged):

1. 413 when Content-Length is over ``API_MAX_BODY_BYTES`` (nothing is read);
2. 401 unless the bearer token is a live django-oauth-toolkit token of an active client
   and the ``SupplierKey`` header matches that client's (HMAC, constant time);
3. 403 when the client's LA is not ``la_code`` (``portal.access.can``);
4. 429 with ``Retry-After`` over the client's rate (``throttle``);
5. the body, read up to the cap (413 beyond it); 400 for bad JSON, nesting deeper than
   ``API_MAX_JSON_DEPTH``, not an array, more than ``API_MAX_RECORDS`` records, or any
   schema error, listed with JSON pointers such as ``[3].child_details.date_of_birth``;
6. 200 with one receipt per record, in order (``services.receipt``). A body already applied
   for this LA gets its first receipts again and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from oauth2_provider.models import AccessToken
from pydantic import ValidationError

from portal.access import Action, can
from portal.api_clients import as_principal, supplier_key_matches
from portal.audit import AuditAction, AuditOutcome, record
from portal.models import ApiClientAccount, LocalAuthority
from submissions.api import services, throttle
from submissions.api.schemas import PAYLOAD, error_list

__all__ = ["api", "urls"]

logger = logging.getLogger("submissions.api")

api = NinjaAPI(
    title="Children's social care data: API intake",
    urls_namespace="api",
    docs_url=None,
    openapi_url=None,
)

_LA_CODE = re.compile(r"[0-9]{3}")


class Refusal(Exception):
    """A refused call: its status, a message for the sender's log and optional details."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        body: dict[str, Any] = {"message": self.message}
        if self.errors:
            body["errors"] = self.errors
        response = JsonResponse(body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def _authenticate(request: HttpRequest) -> ApiClientAccount:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Refusal(401, "A bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
    access = (
        AccessToken.objects.select_related("application__api_client_account__local_authority")
        .filter(token_checksum=hashlib.sha256(token.encode()).hexdigest())
        .first()
    )
    account = getattr(access.application, "api_client_account", None) if access else None
    if access is None or access.is_expired() or account is None or not account.is_active:
        raise Refusal(
            401,
            "The token is not valid or has expired.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if not supplier_key_matches(account, request.headers.get("SupplierKey", "")):
        raise Refusal(401, "The SupplierKey header is missing or wrong.")
    return account


def _local_authority(account: ApiClientAccount, la_code: str) -> LocalAuthority:
    la: LocalAuthority | None = account.local_authority
    if account.local_authority.code != la_code:
        la = (
            LocalAuthority.objects.filter(code=la_code).first()
            if _LA_CODE.fullmatch(la_code)
            else None
        )
    if la is None or not can(as_principal(account), Action.UPLOAD, la):
        raise Refusal(403, "This client may not send data for this local authority.")
    return la


def _read_body(request: HttpRequest) -> bytes:
    cap = settings.API_MAX_BODY_BYTES
    body = request.read(cap + 1)
    if len(body) > cap:
        raise Refusal(413, f"The body is larger than {cap} bytes.")
    return body


def _too_deep(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects or arrays deeper than ``limit``."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _parse(body: bytes) -> list[dict[str, Any]]:
    try:
        data = json.loads(body)
    except RecursionError:
        raise Refusal(400, "The JSON is nested too deeply.") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise Refusal(400, f"The body is not valid JSON ({type(error).__name__}).") from None
    if not isinstance(data, list):
        raise Refusal(400, "The body must be a JSON array of child records.")
    if len(data) > settings.API_MAX_RECORDS:
        raise Refusal(
            400,
            f"A batch may hold at most {settings.API_MAX_RECORDS} records, not {len(data)}.",
        )
    if _too_deep(data, settings.API_MAX_JSON_DEPTH):
        raise Refusal(
            400, f"The JSON is nested more than {settings.API_MAX_JSON_DEPTH} levels deep."
        )
    try:
        PAYLOAD.validate_python(data)
    except ValidationError as error:
        raise Refusal(
            400,
            f"{error.error_count()} problem(s) in the records.",
            errors=error_list(list(error.errors(include_url=False, include_input=False))),
        ) from None
    return data


@api.post("/children_social_care_data/{la_code}/children", url_name="children", auth=None)
def children(request: HttpRequest, la_code: str) -> HttpResponse:
    """Receive one batch of child records."""
    started = time.perf_counter()
    account: ApiClientAccount | None = None
    records = 0
    replay = False
    try:
        content_length = int(request.META.get("CONTENT_LENGTH") or 0)
        if content_length > settings.API_MAX_BODY_BYTES:
            raise Refusal(413, f"The body is larger than {settings.API_MAX_BODY_BYTES} bytes.")
        account = _authenticate(request)
        la = _local_authority(account, la_code)
        wait = throttle.retry_after(account.application.client_id)
        if wait is not None:
            raise Refusal(
                429, "Too many requests for this client.", headers={"Retry-After": str(wait)}
            )
        body = _read_body(request)
        payload = _parse(body)
        records = len(payload)
        result = services.apply_batch(la, account, hashlib.sha256(body).hexdigest(), payload)
        replay = result.replay
        response: HttpResponse = JsonResponse(result.receipts, safe=False)
    except Refusal as refusal:
        response = refusal.response()
    _audit(request, la_code, account, response.status_code, records, replay, started)
    return response


def _audit(
    request: HttpRequest,
    la_code: str,
    account: ApiClientAccount | None,
    status: int,
    records: int,
    replay: bool,
    started: float,
) -> None:
    if status == 200:
        outcome = AuditOutcome.SUCCESS
    elif status in (401, 403):
        outcome = AuditOutcome.DENIED
    else:
        outcome = AuditOutcome.FAILURE
    record(
        AuditAction.API_CALL,
        request=request,
        outcome=outcome,
        organisation=la_code if _LA_CODE.fullmatch(la_code) else "",
        object_type="api_client" if account else "",
        object_id=account.application.client_id[:64] if account else "",
        status=status,
        records=records,
        replay=replay,
        milliseconds=round((time.perf_counter() - started) * 1000),
    )


def urls() -> tuple[list[Any], str, str]:
    """The API's URL patterns. The endpoint authenticates its callers itself (token and
    SupplierKey), so it is exempt from the sign-in every page needs. ninja's root view (an
    index of nothing, with the docs off) is left out."""
    patterns, app_name, namespace = api.urls
    patterns = [p for p in patterns if getattr(p, "name", "") != "api-root"]
    for pattern in patterns:
        pattern.callback.login_required = False  # type: ignore[union-attr]
    return patterns, app_name, namespace
