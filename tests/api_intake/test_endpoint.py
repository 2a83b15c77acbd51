"""The intake over real HTTP (``live_server``), driven as the D2I sender drives it."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from portal.models import AuditAction, AuditEvent
from submissions.models import ApiBatch, ApiChildRecord
from tests.api_intake.conftest import Sender, maximal_record

pytestmark = pytest.mark.django_db(transaction=True)


def stored(child_id: str) -> dict[str, Any] | None:
    row = ApiChildRecord.objects.filter(la_child_id=child_id).first()
    return row.record if row else None


def parse_like_the_sender(item: str) -> tuple[datetime, str]:
    """``api_pipeline/api.py``: split on ``_`` into three and parse the timestamp."""
    date_part, time_part, uuid = item.split("_")
    return datetime.strptime(f"{date_part} {time_part}", "%Y-%m-%d %H:%M:%S.%f"), uuid


def test_the_token_endpoint_takes_the_senders_form_post(sender: Sender) -> None:
    response = sender.get_token()

    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == sender.credentials.account.scope


def test_the_token_endpoint_refuses_a_wrong_secret_or_scope(sender: Sender) -> None:
    assert sender.get_token(client_secret="wrong").status_code == 401
    assert sender.get_token(scope="api://somebody-else/.default").status_code == 400
    assert sender.get_token(grant_type="password").status_code in {400, 401}


def test_a_full_load_is_stored_and_answered_with_one_receipt_per_record(
    sender: Sender,
) -> None:
    records = [maximal_record(f"C{i:03d}") for i in range(3)]

    response = sender.post(records)

    assert response.status_code == 200, response.text
    receipts = response.json()
    assert len(receipts) == 3
    assert len(set(receipts)) == 3
    for receipt in receipts:
        at, uuid = parse_like_the_sender(receipt)
        assert abs((datetime.utcnow() - at).total_seconds()) < 120
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", uuid)
    assert stored("C001") == records[1]
    assert ApiChildRecord.objects.count() == 3


def test_deltas_merge_into_the_stored_record(sender: Sender) -> None:
    assert sender.post([maximal_record("C1")]).status_code == 200
    delta = {
        "la_child_id": "C1",
        "mis_child_id": "MIS-C1",
        "child_details": {"sex": "F"},
        "social_care_episodes": [
            {
                "social_care_episode_id": "ABC123456",
                "child_in_need_plans": [
                    {"child_in_need_plan_id": "NEW1", "start_date": "2023-07-01", "purge": False}
                ],
                "closure_reason": "RC8",
            }
        ],
    }

    assert sender.post([delta]).status_code == 200

    record = stored("C1")
    assert record is not None
    assert record["child_details"]["sex"] == "F"
    assert record["child_details"]["date_of_birth"] == "2007-06-14"  # kept
    episode = record["social_care_episodes"][0]
    assert episode["closure_reason"] == "RC8"
    assert [p["child_in_need_plan_id"] for p in episode["child_in_need_plans"]] == [
        "ABC123456",
        "NEW1",
    ]
    assert episode["child_protection_plans"][0]["child_protection_plan_id"] == "ABC123456"


def test_a_delta_for_a_new_child_is_taken_as_the_record(sender: Sender) -> None:
    delta = {"la_child_id": "N1", "mis_child_id": None, "child_details": {"sex": "M"}}

    assert sender.post([delta]).status_code == 200

    assert stored("N1") == delta


def test_purge_deletes_a_record_and_a_block(sender: Sender) -> None:
    assert sender.post([maximal_record("P1"), maximal_record("P2")]).status_code == 200
    purge_record = {"la_child_id": "P1", "mis_child_id": "MIS-P1", "purge": True}
    purge_blocks = {
        "la_child_id": "P2",
        "mis_child_id": "MIS-P2",
        "child_details": {"purge": False},
        "health_and_wellbeing": {"purge": True},
        "social_care_episodes": [
            {
                "social_care_episode_id": "ABC123456",
                "child_protection_plans": [
                    {"child_protection_plan_id": "ABC123456", "purge": True}
                ],
            }
        ],
    }

    response = sender.post([purge_record, purge_blocks])

    assert response.status_code == 200, response.text
    assert len(response.json()) == 2
    assert stored("P1") is None
    record = stored("P2")
    assert record is not None
    assert "health_and_wellbeing" not in record
    assert record["social_care_episodes"][0]["child_protection_plans"] == []
    assert record["social_care_episodes"][0]["child_in_need_plans"]  # untouched


def test_the_same_batch_twice_changes_nothing_and_gets_the_same_receipts(
    sender: Sender,
) -> None:
    first = [maximal_record("R1")]
    change = [{"la_child_id": "R1", "mis_child_id": "MIS-R1", "child_details": {"sex": "U"}}]
    receipts = sender.post(first).json()
    assert sender.post(change).status_code == 200

    again = sender.post(first)

    assert again.status_code == 200
    assert again.json() == receipts
    assert stored("R1")["child_details"]["sex"] == "U"  # type: ignore[index]
    assert ApiBatch.objects.count() == 2


def test_another_las_url_is_403(sender: Sender) -> None:
    response = sender.post([maximal_record()], la_code="383")  # Leeds

    assert response.status_code == 403
    assert sender.post([maximal_record()], la_code="999").status_code == 403
    assert ApiChildRecord.objects.count() == 0


def test_an_expired_token_is_401(sender: Sender) -> None:
    from oauth2_provider.models import AccessToken

    assert sender.get_token().status_code == 200
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))

    assert sender.post([maximal_record()]).status_code == 401


def test_a_missing_or_unknown_token_is_401(sender: Sender) -> None:
    sender.token = "not-a-token"
    assert sender.post([maximal_record()]).status_code == 401
    response = sender.post([maximal_record()], headers={"Authorization": ""})
    assert response.status_code == 401


def test_a_wrong_supplier_key_is_401(sender: Sender) -> None:
    assert sender.post([maximal_record()], supplier_key="wrong").status_code == 401
    assert sender.post([maximal_record()], supplier_key="").status_code == 401
    assert ApiChildRecord.objects.count() == 0


def test_a_revoked_clients_token_stops_working_at_once(sender: Sender) -> None:
    from portal import api_clients

    assert sender.post([maximal_record()]).status_code == 200
    api_clients.revoke(sender.credentials.account, None)

    assert sender.post([maximal_record("X2")]).status_code == 401
    assert sender.get_token().status_code == 401


def test_a_rotated_clients_old_token_and_key_stop_working(sender: Sender, make_sender: Any) -> None:
    from portal import api_clients

    assert sender.post([maximal_record()]).status_code == 200
    rotated = api_clients.rotate(sender.credentials.account, None)

    assert sender.post([maximal_record("X2")]).status_code == 401
    assert sender.get_token().status_code == 401  # the old secret
    fresh = make_sender(rotated)
    assert fresh.post([maximal_record("X2")]).status_code == 200


@override_settings(API_MAX_BODY_BYTES=5000)
def test_a_body_over_the_cap_is_a_real_413(sender: Sender) -> None:
    response = sender.post([maximal_record(f"B{i}") for i in range(5)])

    assert response.status_code == 413
    assert "larger than 5000 bytes" in response.json()["message"]


def test_a_body_over_djangos_own_upload_limit_but_under_ours_is_read(sender: Sender) -> None:
    """Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) would answer 400: the intake reads the
    body itself, up to API_MAX_BODY_BYTES."""
    records = []
    for i in range(100):
        record = maximal_record(f"L{i:03d}")
        episode = record["social_care_episodes"][0]
        record["social_care_episodes"] = [
            {**episode, "social_care_episode_id": f"E{j}"} for j in range(20)
        ]
        records.append(record)
    body = json.dumps(records).encode()
    assert len(body) > 2_621_440

    response = sender.post(None, body=body)

    assert response.status_code == 200, response.text[:500]
    assert len(response.json()) == 100


def test_more_than_100_records_is_400(sender: Sender) -> None:
    response = sender.post([maximal_record(f"M{i}") for i in range(101)])

    assert response.status_code == 400
    assert "at most 100 records" in response.json()["message"]
    assert ApiChildRecord.objects.count() == 0


def test_schema_errors_are_listed_with_json_pointers(sender: Sender) -> None:
    bad_date = maximal_record("E1")
    bad_date["child_details"]["date_of_birth"] = "14/06/2007"
    extra = maximal_record("E2")
    extra["child_details"]["nickname"] = "x"
    not_bool = maximal_record("E3")
    not_bool["social_care_episodes"][0]["referral_no_further_action_flag"] = "false"
    no_details = {"la_child_id": "E4", "mis_child_id": "m"}
    no_mis = {"la_child_id": "E5", "child_details": {}}

    response = sender.post([maximal_record("OK"), bad_date, extra, not_bool, no_details, no_mis])

    assert response.status_code == 400
    pointers = {e["pointer"] for e in response.json()["errors"]}
    assert {
        "[1].child_details.date_of_birth",
        "[2].child_details.nickname",
        "[3].social_care_episodes[0].referral_no_further_action_flag",
        "[4]",
        "[5].mis_child_id",
    } <= pointers
    # The sender finds the failing records by the [n] in the text.
    assert {"1", "2", "3", "4", "5"} <= set(re.findall(r"\[(\d+)\]", response.text))
    assert "14/06/2007" not in response.text  # the values are never echoed
    assert ApiChildRecord.objects.count() == 0


def test_bad_json_and_deep_nesting_are_400(sender: Sender) -> None:
    assert sender.post(None, body=b"[{").status_code == 400
    assert sender.post({"la_child_id": "x"}).status_code == 400
    deep: Any = []
    for _ in range(40):
        deep = [deep]
    response = sender.post(deep)
    assert response.status_code == 400
    assert "nested" in response.json()["message"]


@override_settings(API_RATE_LIMIT_BURST=2, API_RATE_LIMIT_PER_SECOND=0.2)
def test_over_the_rate_limit_is_429_with_retry_after(sender: Sender) -> None:
    codes = [sender.post([maximal_record(f"T{i}")]).status_code for i in range(2)]
    refused = sender.post([maximal_record("T9")])

    assert codes == [200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 5
    assert stored("T9") is None


def test_every_call_is_audited_without_child_data(sender: Sender) -> None:
    sender.post([maximal_record("A1")])
    sender.post([maximal_record("A1")], supplier_key="wrong")
    sender.post([maximal_record("A1")], la_code="383")

    events = list(AuditEvent.objects.filter(action=AuditAction.API_CALL).order_by("id"))
    assert [e.details["status"] for e in events] == [200, 401, 403]
    assert events[0].details["records"] == 1
    assert events[0].object_id == sender.credentials.client_id
    assert events[0].organisation == "370"
    for event in events:
        text = json.dumps(event.details)
        assert "A1" not in text
        assert "Jordan" not in text
        assert "2007-06-14" not in text
