"""``submissions.api.merge``: deltas, purges and new children, without a database."""

from __future__ import annotations

import copy

from submissions.api.merge import apply
from tests.api_intake.conftest import maximal_record


def test_a_record_for_a_child_with_nothing_stored_is_the_record() -> None:
    record = maximal_record()

    assert apply(None, record) == record


def test_purge_on_the_record_deletes_it() -> None:
    assert apply(maximal_record(), {"la_child_id": "x", "purge": True}) is None
    assert apply(None, {"la_child_id": "x", "purge": True}) is None


def test_objects_merge_key_by_key_and_scalars_replace() -> None:
    stored = maximal_record()

    out = apply(stored, {"la_child_id": "Child0034", "child_details": {"postcode": "ZZ1 1ZZ"}})

    assert out is not None
    assert out["child_details"]["postcode"] == "ZZ1 1ZZ"
    assert out["child_details"]["surname"] == stored["child_details"]["surname"]


def test_lists_without_ids_replace() -> None:
    out = apply(maximal_record(), {"child_details": {"disabilities": ["NONE"]}})

    assert out is not None
    assert out["child_details"]["disabilities"] == ["NONE"]


def test_keyed_items_merge_on_their_id_and_new_ones_are_appended() -> None:
    delta = {
        "social_care_episodes": [
            {"social_care_episode_id": "ABC123456", "closure_reason": "RC1"},
            {"social_care_episode_id": "EP2", "referral_date": "2024-01-01"},
        ]
    }

    out = apply(maximal_record(), delta)

    assert out is not None
    episodes = out["social_care_episodes"]
    assert [e["social_care_episode_id"] for e in episodes] == ["ABC123456", "EP2"]
    assert episodes[0]["closure_reason"] == "RC1"
    assert episodes[0]["referral_date"] == "2022-06-14"  # kept
    assert episodes[0]["child_in_need_plans"][0]["child_in_need_plan_id"] == "ABC123456"


def test_purge_on_a_block_deletes_only_that_block() -> None:
    delta = {
        "health_and_wellbeing": {"purge": True},
        "social_care_episodes": [
            {
                "social_care_episode_id": "ABC123456",
                "adoption": {"purge": True},
                "section_47_assessments": [
                    {"section_47_assessment_id": "ABC123456", "purge": True}
                ],
            }
        ],
    }

    out = apply(maximal_record(), delta)

    assert out is not None
    assert "health_and_wellbeing" not in out
    episode = out["social_care_episodes"][0]
    assert "adoption" not in episode
    assert episode["section_47_assessments"] == []
    assert episode["care_leavers"]["activity"] == "F2"


def test_purging_an_episode_drops_it_with_its_plans() -> None:
    out = apply(
        maximal_record(),
        {"social_care_episodes": [{"social_care_episode_id": "ABC123456", "purge": True}]},
    )

    assert out is not None
    assert out["social_care_episodes"] == []


def test_a_purged_block_in_a_new_record_is_left_out() -> None:
    record = {"la_child_id": "x", "child_details": {}, "health_and_wellbeing": {"purge": True}}

    assert apply(None, record) == {"la_child_id": "x", "child_details": {}}


def test_merge_changes_neither_argument_and_is_idempotent() -> None:
    stored = maximal_record()
    delta = {"social_care_episodes": [{"social_care_episode_id": "EP2", "care_worker_details": [
        {"worker_id": "W1"}]}]}  # fmt: skip
    before = (copy.deepcopy(stored), copy.deepcopy(delta))

    once = apply(stored, delta)
    twice = apply(once, delta)

    assert (stored, delta) == before
    assert once == twice
