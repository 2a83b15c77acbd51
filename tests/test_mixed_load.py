"""The mixed load benchmark's users sign in as the real sign-in does
(``benchmarks.mixed_load.prepare``), each role's session opens the pages it will ask for, and
the upload form it posts is the one the page serves (its hidden fields found as the
benchmark finds them), so a run measures pages and checks, not redirects or refused forms."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from benchmarks.mixed_load import CASE_LEAD_LAS, prepare

ROLES = {"national_analyst": 2, "risl": 1, "dfe_case_lead": 1, "la_data_lead": 1}


@pytest.fixture
def prepared(reference_data: None, capsys: pytest.CaptureFixture[str]) -> Any:
    prepare(ROLES)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def signed_in(prepared: Any, role: str) -> Client:
    client = Client()
    client.cookies[prepared["cookie"]] = prepared[role][0]
    return client


def test_every_role_gets_its_sessions_and_pages(prepared: Any) -> None:
    assert {role: len(prepared[role]) for role in ROLES} == ROLES
    assert len(prepared["all_las"]) == 153
    assert len(prepared["yorkshire"]) == 15
    assert prepared["la"] == "/dashboards/la/{la}/"

    analyst = signed_in(prepared, "national_analyst")
    assert analyst.get(prepared["portfolio"]).status_code == 200
    indicator = prepared["indicator"].format(la="370", indicator=prepared["indicators"][0])
    assert analyst.get(indicator).status_code == 200

    risl = signed_in(prepared, "risl")
    portfolio = risl.get(prepared["portfolio"]).content.decode()
    assert "Leeds" in portfolio
    assert "Camden" not in portfolio

    lead = signed_in(prepared, "dfe_case_lead")
    for code in CASE_LEAD_LAS:
        assert lead.get(prepared["la"].format(la=code)).status_code == 200
    assert lead.get(prepared["la"].format(la="202")).status_code == 404


def test_the_upload_form_has_the_hidden_fields_the_benchmark_posts(prepared: Any) -> None:
    page = signed_in(prepared, "la_data_lead").get(prepared["upload"])

    assert page.status_code == 200
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.content.decode())
    )
    assert hidden.get("csrfmiddlewaretoken")
    assert hidden.get("local_authority"), "the lead of one LA posts it as a hidden field"
    for name in ("as_of_day", "as_of_month", "as_of_year", "uploads"):
        assert f'name="{name}"' in page.content.decode()
