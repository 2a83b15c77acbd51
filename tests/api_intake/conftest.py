"""Fixtures for the API intake: a client for Barnsley (370), and the sender's calls over
real HTTP against ``live_server`` (as ``api_pipeline`` makes them, with ``requests``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

SAMPLE = (
    Path(__file__).resolve().parent.parent / "readers" / "data"
    / "sample_payload_record0_spec_maximal.json"
)  # fmt: skip


def maximal_record(child_id: str = "Child0034") -> dict[str, Any]:
    """The spec's maximal sample record, for another child."""
    record = json.loads(SAMPLE.read_text())
    record["la_child_id"] = child_id
    record["mis_child_id"] = f"MIS-{child_id}"
    return record


class Sender:
    """What the D2I sender does: a token by form post, then JSON batches with the token and
    the SupplierKey header."""

    def __init__(self, base: str, credentials: Any, la_code: str = "370") -> None:
        self.base = base
        self.credentials = credentials
        self.la_code = la_code
        self.token: str | None = None

    def get_token(self, **overrides: str) -> requests.Response:
        data = {
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
            "scope": self.credentials.account.scope,
            "grant_type": "client_credentials",
            **overrides,
        }
        response = requests.post(f"{self.base}/api/oauth/token", data=data, timeout=30)
        if response.status_code == 200:
            self.token = response.json()["access_token"]
        return response

    def post(
        self,
        records: Any,
        *,
        la_code: str | None = None,
        supplier_key: str | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        if self.token is None:
            assert self.get_token().status_code == 200
        url = f"{self.base}/api/children_social_care_data/{la_code or self.la_code}/children"
        sent_headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "SupplierKey": self.credentials.supplier_key if supplier_key is None else supplier_key,
            **(headers or {}),
        }
        data = body if body is not None else json.dumps(records)
        return requests.post(url, headers=sent_headers, data=data, timeout=60)


@pytest.fixture
def credentials(reference_data: None) -> Any:
    from portal import api_clients
    from portal.models import LocalAuthority

    return api_clients.create(LocalAuthority.objects.get(code="370"), None)


@pytest.fixture
def sender(live_server: Any, credentials: Any) -> Sender:
    return Sender(live_server.url, credentials)


@pytest.fixture
def make_sender(live_server: Any) -> Callable[[Any], Sender]:
    return lambda credentials: Sender(live_server.url, credentials)
