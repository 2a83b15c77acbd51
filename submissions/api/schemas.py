"""The DfE CSC API payload (spec 0.8, ``specs/dfe-csc-api/``) as strict pydantic models.

Strict: an unknown key is an error (a typo never passes silently), strings must be strings,
flags ``true``/``false``, scores integers, and dates ``YYYY-MM-DD`` strings. Every field but
the identifiers is optional because a delta record carries only what changed (and the
sender omits keys whose value is null); a record needs ``la_child_id`` and ``mis_child_id``,
and ``child_details`` unless it is a deletion (``purge: true``), as the sender's deletion
payload has none. Items of a list that the merge keys by id must carry their id.

The models only validate: the stored state is the JSON as sent (``merge``), so nothing the
sender omitted is filled in with nulls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator

__all__ = ["PAYLOAD", "ChildRecord", "error_list"]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    """A ``YYYY-MM-DD`` string becomes a date; anything else is left for the strict date
    check to refuse (so a number is never read as a timestamp)."""
    if isinstance(value, str):
        if not _DATE.fullmatch(value):
            raise ValueError("should be a date written YYYY-MM-DD")
        return date.fromisoformat(value)
    return value


Date = Annotated[date, BeforeValidator(_iso_date)]
Text = Annotated[str, Field(max_length=500)]
Id = Annotated[str, Field(min_length=1, max_length=100)]


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _Purgeable(_Block):
    purge: bool | None = None


class ChildDetails(_Purgeable):
    unique_pupil_number: Text | None = None
    former_unique_pupil_number: Text | None = None
    unique_pupil_number_unknown_reason: Text | None = None
    first_name: Text | None = None
    surname: Text | None = None
    date_of_birth: Date | None = None
    expected_date_of_birth: Date | None = None
    sex: Text | None = None
    ethnicity: Text | None = None
    disabilities: list[Text] | None = None
    postcode: Text | None = None
    uasc_flag: bool | None = None
    uasc_end_date: Date | None = None


class SdqAssessment(_Block):
    date: Date | None = None
    score: int | None = None


class HealthAndWellbeing(_Purgeable):
    sdq_assessments: list[SdqAssessment] | None = None


class CareWorker(_Block):
    worker_id: Id
    start_date: Date | None = None
    end_date: Date | None = None


class ChildAndFamilyAssessment(_Purgeable):
    child_and_family_assessment_id: Id
    start_date: Date | None = None
    authorisation_date: Date | None = None
    factors: list[Text] | None = None


class ChildInNeedPlan(_Purgeable):
    child_in_need_plan_id: Id
    start_date: Date | None = None
    end_date: Date | None = None


class Section47Assessment(_Purgeable):
    section_47_assessment_id: Id
    start_date: Date | None = None
    icpc_required_flag: bool | None = None
    icpc_date: Date | None = None
    end_date: Date | None = None


class ChildProtectionPlan(_Purgeable):
    child_protection_plan_id: Id
    start_date: Date | None = None
    end_date: Date | None = None


class ChildLookedAfterPlacement(_Purgeable):
    child_looked_after_placement_id: Id
    start_date: Date | None = None
    start_reason: Text | None = None
    placement_type: Text | None = None
    postcode: Text | None = None
    end_date: Date | None = None
    end_reason: Text | None = None
    change_reason: Text | None = None


class Adoption(_Purgeable):
    initial_decision_date: Date | None = None
    matched_date: Date | None = None
    placed_date: Date | None = None


class CareLeavers(_Purgeable):
    contact_date: Date | None = None
    activity: Text | None = None
    accommodation: Text | None = None


class SocialCareEpisode(_Purgeable):
    social_care_episode_id: Id
    referral_date: Date | None = None
    referral_source: Text | None = None
    referral_no_further_action_flag: bool | None = None
    closure_date: Date | None = None
    closure_reason: Text | None = None
    care_worker_details: list[CareWorker] | None = None
    child_and_family_assessments: list[ChildAndFamilyAssessment] | None = None
    child_in_need_plans: list[ChildInNeedPlan] | None = None
    section_47_assessments: list[Section47Assessment] | None = None
    child_protection_plans: list[ChildProtectionPlan] | None = None
    child_looked_after_placements: list[ChildLookedAfterPlacement] | None = None
    adoption: Adoption | None = None
    care_leavers: CareLeavers | None = None


class ChildRecord(_Purgeable):
    """One child: a full record, a delta (identifiers, ``child_details`` and the changed
    blocks) or a deletion (identifiers and ``purge: true``)."""

    la_child_id: Annotated[str, Field(min_length=1, max_length=36)]
    # Present in every record the sender builds (required), though its value may be null.
    mis_child_id: Annotated[str, Field(max_length=36)] | None
    child_details: ChildDetails | None = None
    health_and_wellbeing: HealthAndWellbeing | None = None
    social_care_episodes: list[SocialCareEpisode] | None = None

    @model_validator(mode="after")
    def _details_unless_deleted(self) -> ChildRecord:
        if not self.purge and self.child_details is None:
            raise ValueError("child_details is required unless the record has purge: true")
        return self


#: The request body: a JSON array of child records.
PAYLOAD: TypeAdapter[list[ChildRecord]] = TypeAdapter(list[ChildRecord])


def pointer(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as the sender's error parser reads it: ``[3].a.b`` (it
    looks for ``[n]`` to tell which record failed)."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "$"


def error_list(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """pydantic's errors as ``{"pointer", "message"}``, without the offending values (they
    may be child data)."""
    return [{"pointer": pointer(tuple(e["loc"])), "message": e["msg"]} for e in errors]
