"""The restricted dashboards' load benchmark signs in as the real sign-in does
(``benchmarks.restricted_load.prepare_sessions``): its sessions open the pages it measures,
so a run measures the pages, not redirects to sign-in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from benchmarks.restricted_load import LA_DASHBOARD, PORTFOLIO, prepare_sessions


def prepared(capsys: pytest.CaptureFixture[str], role: str, scope: str = "") -> Any:
    prepare_sessions(role, scope, 3)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_the_benchmark_sessions_open_the_portfolio_and_every_las_dashboard(
    reference_data: None, capsys: pytest.CaptureFixture[str]
) -> None:
    found = prepared(capsys, "national_analyst")

    assert len(found["sessions"]) == len(set(found["sessions"])) == 3
    assert len(found["las"]) == 153
    pages = found["pages"]
    assert pages[PORTFOLIO] == "/dashboards/"
    assert pages[LA_DASHBOARD] == "/dashboards/la/{la}/"
    for key in found["sessions"]:
        client = Client()
        client.cookies[found["cookie"]] = key
        assert client.get(pages[PORTFOLIO]).status_code == 200
        assert client.get(pages[LA_DASHBOARD].replace("{la}", "202")).status_code == 200


def test_the_benchmark_account_holds_exactly_the_role_asked_for(
    reference_data: None, capsys: pytest.CaptureFixture[str]
) -> None:
    prepared(capsys, "national_analyst")
    found = prepared(capsys, "la_data_lead", "370")
    client = Client()
    client.cookies[found["cookie"]] = found["sessions"][0]

    assert client.get("/dashboards/la/370/").status_code == 200
    assert client.get("/dashboards/la/383/").status_code == 404  # no longer an analyst
    assert client.get("/submissions/").status_code == 200
