"""DfE SSDA903 rules about children looked after: CLA episodes and missing episodes.

Codes and messages are the DfE's (``903_2024_25_rule_info.csv`` and ``csc-validator-be-903``
0.1.17, rule sets 2023/24-2025/26). The canonical model keeps the episode fields needed for
the indicators (DECOM, RNE, LS, PLACE, DEC, REC) and the Missing table; rules on other 903
fields or tables (postcodes, URN, provider, reviews, OC2/OC3, adoption, UASC dates, last
year's return) are listed with reasons in ``docs/peer-agreement.md``.

Most rules look at a child's episodes in date order, so the sorted frame with each episode's
neighbours (:func:`episodes`) is built once per extract and shared.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from submissions.extract.canonical import Severity
from submissions.extract.rules import codes
from submissions.extract.rules.helpers import (
    add_years,
    among,
    differs,
    group_starts,
    starts_inside_other,
)
from submissions.extract.rules.registry import CLA_RETURN, RULES, RuleContext, RuleFunc

ERROR = Severity.ERROR

EPISODE = ("cla_episode",)
WITH_CHILD = ("cla_episode", "child")
MISSING = ("missing_episode",)

# Reasons an episode ceased that end the period of care (everything but X1, "new episode").
CARE_ENDED = codes.REASON_EPISODE_CEASED - {"X1"}


def episodes(ctx: RuleContext) -> pd.DataFrame:
    """Episodes with a child id, sorted by child and start date, with the child's date of
    birth and the previous / next episode's fields alongside (NA at the child's first / last
    episode)."""

    def build() -> pd.DataFrame:
        raw = ctx.table("cla_episode")
        raw = raw[raw["child_id"].notna()]
        eps = raw.sort_values(["child_id", "start_date"], kind="stable", na_position="last")
        first = group_starts(eps["child_id"])
        last = np.append(first[1:], True) if len(first) else first
        frame = pd.DataFrame(
            {
                "child_id": eps["child_id"],
                "start": eps["start_date"],
                "end": eps["end_date"],
                "rne": eps["start_reason"],
                "ls": eps["legal_status"],
                "place": eps["placement_type"],
                "rec": eps["end_reason"],
                "dob": ctx.child_value("cla_episode", "date_of_birth")[eps.index],
                "first": first,
                "last": last,
            },
            index=eps.index,
        )
        for column in ("end", "rec", "place"):
            frame[f"prev_{column}"] = frame[column].shift(1).where(~first)
        frame["next_start"] = frame["start"].shift(-1).where(~last)
        # The episode before the previous one, when it is the same child's.
        same_two_back = ~first & ~np.append([True], first[:-1]) if len(first) else first
        frame["prev2_place"] = frame["place"].shift(2).where(same_two_back)
        return frame

    return ctx.memo("903_episodes", build)


def periods_of_care(ctx: RuleContext) -> pd.DataFrame:
    """Each child's periods of care: runs of episodes where each starts on or before the
    previous one ended. Columns child_id, start, end (NaT when still looked after)."""

    def build() -> pd.DataFrame:
        eps = episodes(ctx)
        new = eps["first"].to_numpy() | (eps["start"] > eps["prev_end"]).to_numpy()
        period = np.cumsum(new)
        closes = np.append(new[1:], True) if len(new) else new
        starts = eps.loc[new, ["child_id", "start"]].reset_index(drop=True)
        starts["end"] = eps.loc[closes, "end"].to_numpy()
        starts.index = np.unique(period)
        return starts

    return ctx.memo("903_periods", build)


def _age_reached(eps: pd.DataFrame, when: str, years: int) -> pd.Series:
    """Whether the child was at least ``years`` old on the episode's ``when`` date."""
    return eps[when] >= add_years(eps["dob"], years)


# --- Child (header) -----------------------------------------------------------------------


@RULES.rule(
    "301",
    severity=ERROR,
    message="Date of birth falls after the year ended.",
    fields=("date_of_birth",),
    tables=("child",),
    formats=CLA_RETURN,
)
def born_after_year_end(ctx: RuleContext) -> pd.Series:
    return ctx.table("child")["date_of_birth"] > ctx.period_end


@RULES.rule(
    "351",
    severity=ERROR,
    message="Child was over 25 at the start of the current collection year.",
    fields=("date_of_birth",),
    tables=("child",),
    formats=CLA_RETURN,
)
def over_25_at_year_start(ctx: RuleContext) -> pd.Series:
    children = ctx.table("child")
    if ctx.period_start is None:
        return pd.Series(False, index=children.index)
    return add_years(children["date_of_birth"], 25) < ctx.period_start


@RULES.rule(
    "INT03",
    severity=ERROR,
    message="Internal Check: Child in Episodes does not exist in Header.",
    fields=("child_id",),
    tables=("cla_episode", "child"),
    formats=CLA_RETURN,
)
def episode_child_unknown(ctx: RuleContext) -> pd.Series:
    ids = ctx.table("cla_episode")["child_id"]
    return ids.notna() & ~among(ids, ctx.table("child")["child_id"])


@RULES.rule(
    "INT04",
    severity=ERROR,
    message="Internal Check: Child in Missing does not exist in Header.",
    fields=("child_id",),
    tables=("missing_episode", "child"),
    formats=CLA_RETURN,
)
def missing_child_unknown(ctx: RuleContext) -> pd.Series:
    ids = ctx.table("missing_episode")["child_id"]
    return ids.notna() & ~among(ids, ctx.table("child")["child_id"])


# --- One episode --------------------------------------------------------------------------


@RULES.rule(
    "148",
    severity=ERROR,
    message="Date episode ceased and reason episode ceased must both be coded, or both left blank.",
    fields=("end_date", "end_reason"),
    tables=EPISODE,
)
def end_date_and_reason(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["end_date"].isna() != df["end_reason"].isna()


@RULES.rule(
    "353",
    severity=ERROR,
    message="No episode submitted can start before 14 October 1991.",
    fields=("start_date",),
    tables=EPISODE,
)
def episode_before_1991(ctx: RuleContext) -> pd.Series:
    # The Children Act 1989 came into force on 14 October 1991.
    return ctx.table("cla_episode")["start_date"] < pd.Timestamp("1991-10-14")


@RULES.rule(
    "354",
    severity=ERROR,
    message="Date episode ceased must be on or before the end of the current collection year.",
    fields=("start_date",),
    tables=EPISODE,
)
def episode_starts_after_year_end(ctx: RuleContext) -> pd.Series:
    # The DfE message speaks of the end date, but the rule checks DECOM (385 checks DEC).
    return ctx.table("cla_episode")["start_date"] > ctx.period_end


@RULES.rule(
    "385",
    severity=ERROR,
    message="Date episode ceased must be on or before the end of the current collection year.",
    fields=("end_date",),
    tables=EPISODE,
)
def episode_ends_after_year_end(ctx: RuleContext) -> pd.Series:
    return ctx.table("cla_episode")["end_date"] > ctx.period_end


@RULES.rule(
    "355",
    severity=ERROR,
    message="Episode appears to have lasted for less than 24 hours",
    fields=("end_date", "start_date"),
    tables=EPISODE,
)
def episode_same_day(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["start_date"] == df["end_date"]


@RULES.rule(
    "365",
    severity=ERROR,
    message="Any individual short- term respite placement must not exceed 17 days.",
    fields=("end_date", "start_date", "legal_status"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def respite_too_long(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    end = df["end_date"].fillna(ctx.period_end)
    return df["legal_status"].eq("V3") & (end > df["start_date"] + pd.Timedelta(days=17))


@RULES.rule(
    "366",
    severity=ERROR,
    message="A child cannot change placement during the course of an individual "
    "short-term respite break.",
    fields=("start_reason", "legal_status"),
    tables=EPISODE,
    needs=("cla_episode.legal_status", "cla_episode.start_reason"),
)
def respite_changed_placement(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["legal_status"].eq("V3") & differs(df["start_reason"], "S")


@RULES.rule(
    "378",
    severity=ERROR,
    message="A child who is placed with parent(s) cannot be looked after under a single "
    "period of accommodation under Section 20 of the Children Act 1989.",
    fields=("placement_type", "legal_status"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def placed_with_parents_under_s20(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["placement_type"].eq("P1") & df["legal_status"].eq("V2")


@RULES.rule(
    "380",
    severity=ERROR,
    message="A period of care cannot start with a temporary placement.",
    fields=("placement_type", "start_reason"),
    tables=EPISODE,
    needs=("cla_episode.start_reason",),
)
def care_starts_with_temporary_placement(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    temporary = df["placement_type"].isin(codes.TEMPORARY_PLACEMENTS)
    return temporary & ~df["start_reason"].isin({"P", "B"})


@RULES.rule(
    "381",
    severity=ERROR,
    message="A period of care cannot end with a temporary placement.",
    fields=("placement_type", "end_reason"),
    tables=EPISODE,
)
def care_ends_with_temporary_placement(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    temporary = df["placement_type"].isin(codes.TEMPORARY_PLACEMENTS)
    return temporary & df["end_reason"].notna() & df["end_reason"].ne("X1")


@RULES.rule(
    "382",
    severity=ERROR,
    message="A child receiving respite care cannot be in a temporary placement.",
    fields=("legal_status", "placement_type"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def respite_in_temporary_placement(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["legal_status"].isin(codes.RESPITE_LEGAL_STATUS) & df["placement_type"].isin(
        codes.TEMPORARY_PLACEMENTS
    )


@RULES.rule(
    "384",
    severity=ERROR,
    message="A child receiving respite care cannot be in a long-term foster placement ",
    fields=("legal_status", "placement_type"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def respite_in_long_term_foster(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["legal_status"].isin(codes.RESPITE_LEGAL_STATUS) & df["placement_type"].isin(
        {"U1", "U4"}
    )


@RULES.rule(
    "390",
    severity=ERROR,
    message="Reason episode ceased is adopted but child has not been previously placed "
    "for adoption.",
    fields=("end_reason", "placement_type"),
    tables=EPISODE,
)
def adopted_without_adoption_placement(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["end_reason"].isin({"E11", "E12"}) & ~df["placement_type"].isin(
        {"A3", "A4", "A5", "A6"}
    )


@RULES.rule(
    "408",
    severity=ERROR,
    message="Child is placed for adoption with a placement order, but no placement "
    "order has been recorded.",
    fields=("legal_status", "placement_type"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def placed_for_adoption_without_order(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["placement_type"].isin({"A5", "A6"}) & differs(df["legal_status"], "E1")


@RULES.rule(
    "445",
    severity=ERROR,
    message="D1 is not a valid code for episodes starting after December 2005.",
    fields=("legal_status", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def freeing_order_after_2005(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["legal_status"].eq("D1") & (df["start_date"] > pd.Timestamp("2005-12-31"))


@RULES.rule(
    "446",
    severity=ERROR,
    message="E1 is not a valid code for episodes starting before December 2005.",
    fields=("legal_status", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def placement_order_before_2005(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["legal_status"].eq("E1") & (df["start_date"] < pd.Timestamp("2005-12-01"))


@RULES.rule(
    "451",
    severity=ERROR,
    message="Child is still freed for adoption, but freeing orders could not be applied "
    "for since 30 December 2005.",
    fields=("end_date", "end_reason", "legal_status"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def still_freed_for_adoption(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    return df["legal_status"].eq("D1") & df["end_date"].isna() & df["end_reason"].isna()


# Freeing orders (D1) disappeared from the 2024/25 rules.
RULES.remove("445", year="2024_25")
RULES.remove("451", year="2024_25")


@RULES.rule(
    "217",
    severity=ERROR,
    message="Children who are placed for adoption with current foster carers (placement "
    "types A3 or A5) must have a reason for new episode of S, T or U.",
    fields=("start_reason", "placement_type", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.start_reason",),
)
def adoption_by_foster_carers_reason(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    # Applies to episodes starting from 1 April 2015, when the A3/A5 codes came in.
    recent = df["start_date"] >= pd.Timestamp("2015-04-01")
    by_foster_carers = df["placement_type"].isin({"A3", "A5"})
    return by_foster_carers & recent & ~df["start_reason"].isin({"S", "T", "U"})


@RULES.rule(
    "516",
    severity=ERROR,
    message="The episode data submitted for this child does not show that he/she was "
    "with their former foster carer(s) during the year.If the code in the reason "
    "episode ceased is E45 or E46 the child must have a placement code of U1 to "
    "U6.",
    fields=("end_reason", "placement_type"),
    tables=EPISODE,
)
def staying_put_not_from_foster_care(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    foster = {"U1", "U2", "U3", "U4", "U5", "U6"}
    return df["end_reason"].isin({"E45", "E46"}) & ~df["placement_type"].isin(foster)


# --- Episode and the child's age ----------------------------------------------------------


@RULES.rule(
    "302",
    severity=ERROR,
    message="First episode starts before child was born.",
    fields=("start_date", "date_of_birth"),
    tables=WITH_CHILD,
)
def first_episode_before_birth(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    return eps["first"] & (eps["start"] < eps["dob"])


@RULES.rule(
    "352",
    severity=ERROR,
    message="Child who started to be looked after was aged 18 or over.",
    fields=("start_reason", "start_date"),
    tables=WITH_CHILD,
    needs=("cla_episode.start_reason",),
)
def started_care_at_18(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    return eps["rne"].eq("S") & _age_reached(eps, "start", 18)


@RULES.rule(
    "358",
    severity=ERROR,
    message="Child with this legal status should not be under 10.",
    fields=("legal_status", "start_date"),
    tables=WITH_CHILD,
    needs=("cla_episode.legal_status",),
)
def youth_justice_status_under_10(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    under_10 = add_years(eps["dob"], 10) >= eps["start"]
    return eps["ls"].isin({"J1", "J2", "J3"}) & under_10


@RULES.rule(
    "359",
    severity=ERROR,
    message="Child being looked after following 18th birthday must be accommodated "
    "under section 20(5) of the Children Act 1989 in a community home.",
    fields=("end_date", "legal_status", "placement_type"),
    tables=WITH_CHILD,
    needs=("cla_episode.legal_status",),
)
def looked_after_over_18(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    over_18 = add_years(eps["dob"], 18) < ctx.period_end
    section_20_5 = (eps["ls"].eq("V2") & eps["place"].eq("K2")).fillna(False)
    return over_18 & eps["end"].isna() & ~section_20_5


def _too_young(place: str, years: int) -> RuleFunc:
    def too_young(ctx: RuleContext) -> pd.Series:
        eps = episodes(ctx)
        return eps["place"].eq(place) & (eps["start"] < add_years(eps["dob"], years))

    return too_young


RULES.rule(
    "371",
    severity=ERROR,
    message="Child in semi-independent living accommodation not subject to children’s "  # noqa: RUF001 (DfE wording)
    "homes regulations should be at least 16.",
    fields=("placement_type", "start_date"),
    tables=WITH_CHILD,
    needs=("cla_episode.start_date",),
)(_too_young("H5", 16))
RULES.rule(
    "371",
    severity=ERROR,
    year="2024_25",
    message="Child in supported accomodation not subject to children’s homes "  # noqa: RUF001 (DfE wording)
    "regulations should be at least 16.",
    fields=("placement_type", "start_date"),
    tables=WITH_CHILD,
    needs=("cla_episode.start_date",),
)(_too_young("K3", 16))
RULES.rule(
    "370",
    severity=ERROR,
    message="Child in independent living should be at least 16.",
    fields=("placement_type", "start_date"),
    tables=WITH_CHILD,
    needs=("cla_episode.start_date",),
)(_too_young("P2", 16))
# P2 (independent living) went with the 2024/25 placement codes.
RULES.remove("370", year="2024_25")
RULES.rule(
    "372",
    severity=ERROR,
    message="Child in youth custody or prison should be at least 10.",
    fields=("placement_type", "start_date"),
    tables=WITH_CHILD,
    needs=("cla_episode.start_date",),
)(_too_young("R5", 10))
RULES.rule(
    "373",
    severity=ERROR,
    message="Child placed in a school should be at least 4 years old.",
    fields=("placement_type", "start_date"),
    tables=WITH_CHILD,
    needs=("cla_episode.start_date",),
)(_too_young("S1", 4))
RULES.rule(
    "374",
    severity=ERROR,
    message="Child in residential employment should be at least 14 years old.",
    fields=("placement_type", "start_date"),
    tables=WITH_CHILD,
    needs=("cla_episode.start_date",),
)(_too_young("P3", 14))


def _ceased_at_age(reasons: set[str], years: int, *, must_be_older: bool) -> RuleFunc:
    """Episodes ending with one of ``reasons`` when the child was (``must_be_older``: not
    yet; else: already) ``years`` old on the end date."""

    def ceased_at_age(ctx: RuleContext) -> pd.Series:
        eps = episodes(ctx)
        birthday = add_years(eps["dob"], years)
        wrong_age = eps["end"] < birthday if must_be_older else eps["end"] >= birthday
        return eps["rec"].isin(reasons) & wrong_age

    return ceased_at_age


RULES.rule(
    "386",
    severity=ERROR,
    message="Reason episode ceased is adopted but child has reached age 18.",
    fields=("end_reason", "end_date"),
    tables=WITH_CHILD,
)(_ceased_at_age({"E11", "E12"}, 18, must_be_older=False))
RULES.rule(
    "387",
    severity=ERROR,
    message="Reason episode ceased is child moved into independent living arrangement, "
    "but the child is aged under 14.",
    fields=("end_reason", "end_date"),
    tables=WITH_CHILD,
)(_ceased_at_age({"E5", "E6"}, 14, must_be_older=True))
RULES.rule(
    "389",
    severity=ERROR,
    message="Reason episode ceased is that child transferred to care of adult social "
    "care services, but child is aged under 16.",
    fields=("end_reason", "end_date"),
    tables=WITH_CHILD,
)(_ceased_at_age({"E7"}, 16, must_be_older=True))
RULES.rule(
    "460",
    severity=ERROR,
    message="Reason episode ceased is that child stayed with current carers at age 18 "
    "(or above), but child is aged under 18.",
    fields=("end_reason", "end_date"),
    tables=WITH_CHILD,
)(_ceased_at_age({"E17"}, 18, must_be_older=True))


@RULES.rule(
    "407",
    severity=ERROR,
    message="Reason episode ceased is Special Guardianship Order, but child has reached age 18.",
    fields=("end_reason", "end_date"),
    tables=WITH_CHILD,
)
def sgo_after_18(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    # The 18th birthday itself is allowed here (unlike 386).
    return eps["rec"].isin({"E45", "E46", "E47", "E48"}) & (eps["end"] > add_years(eps["dob"], 18))


# --- A child's episodes in order ----------------------------------------------------------


@RULES.rule(
    "142",
    severity=ERROR,
    message="A new episode has started, but the previous episode has not ended.",
    fields=("end_date", "end_reason"),
    tables=EPISODE,
)
def earlier_episode_not_ended(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    not_ended = eps["end"].isna() | eps["rec"].isna()
    return ~eps["last"] & eps["start"].notna() & not_ended


@RULES.rule(
    "357",
    severity=ERROR,
    message="If this is the first episode ever for this child, reason for new episode "
    "must be S.  Check whether there is an episode immediately preceding this "
    "one, which has been left out.  If not the reason for new episode code must "
    "be amended to S.",
    fields=("start_reason",),
    tables=EPISODE,
    needs=("cla_episode.start_reason",),
)
def first_episode_not_s(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    # Only an episode starting inside the period can be known to be the first ever.
    if ctx.period_start is None:
        return pd.Series(False, index=eps.index)
    first_in_period = eps["first"] & (eps["start"] >= ctx.period_start)
    return first_in_period & differs(eps["rne"], "S")


@RULES.rule(
    "383",
    severity=ERROR,
    message="A child in a temporary placement must subsequently return to his/her "
    "normal placement.",
    fields=("placement_type", "start_reason"),
    tables=EPISODE,
    needs=("cla_episode.start_reason",),
)
def no_return_after_temporary_placement(ctx: RuleContext) -> pd.Series:
    """After a temporary placement (T0-T4) the next episode must have RNE P and the
    placement type the child had before the temporary one."""
    eps = episodes(ctx)
    after_temporary = (
        eps["prev_place"].isin(codes.TEMPORARY_PLACEMENTS) & eps["prev2_place"].notna()
    )
    returned = (eps["rne"].eq("P") & eps["place"].eq(eps["prev2_place"])).fillna(False)
    return after_temporary & ~returned


@RULES.rule(
    "388",
    severity=ERROR,
    message="Reason episode ceased is coded new episode begins, but there is no "
    "continuation episode.",
    fields=("end_reason",),
    tables=EPISODE,
)
def new_episode_reason_mismatch(ctx: RuleContext) -> pd.Series:
    """X1 must be followed by an episode starting on the end date; any other reason must
    not be (and the child's last episode cannot end with X1)."""
    eps = episodes(ctx)
    x1 = eps["rec"].eq("X1")
    ended = eps["end"].notna()
    continues = eps["end"] == eps["next_start"]
    has_next = eps["next_start"].notna()
    return ended & (
        (x1 & has_next & ~continues)
        | (~x1 & eps["rec"].notna() & has_next & continues)
        | (x1 & eps["last"])
    )


@RULES.rule(
    "431",
    severity=ERROR,
    message="The reason for new episode is started to be looked after, but the previous "
    "episode ended on the same day.",
    fields=("start_reason", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.start_reason",),
)
def new_care_continues_previous(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    return eps["rne"].eq("S") & (eps["start"] <= eps["prev_end"])


@RULES.rule(
    "432",
    severity=ERROR,
    message="The child ceased to be looked after at the end of the previous episode but "
    "the reason for the new episode is not started to be looked after.",
    fields=("start_reason",),
    tables=EPISODE,
    needs=("cla_episode.start_reason",),
)
def care_restarted_without_s(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    return eps["prev_rec"].isin(CARE_ENDED) & differs(eps["rne"], "S")


@RULES.rule(
    "433",
    severity=ERROR,
    message="The reason for new episode suggests that this is a continuation episode, "
    "but the episode does not start on the same day as the last episode "
    "finished.",
    fields=("start_reason", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.start_reason",),
)
def continuation_not_contiguous(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    continuation = eps["rne"].isin({"P", "L", "T", "U", "B"}) & ~eps["first"]
    contiguous = eps["start"] == eps["prev_end"]
    return continuation & ~contiguous


@RULES.rule(
    "336",
    severity=ERROR,
    message="Child does not have a foster placement immediately prior to being placed for "
    "adoption.",
    fields=("placement_type",),
    tables=EPISODE,
)
def adoption_placement_not_after_fostering(ctx: RuleContext) -> pd.Series:
    """A placement for adoption with current foster carers (A3, A4) must follow a foster or
    adoption placement (A3-A6, U1-U6)."""
    eps = episodes(ctx)
    fostered = {"A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6"}
    return eps["place"].isin({"A3", "A4"}) & ~eps["first"] & ~eps["prev_place"].isin(fostered)


@RULES.rule(
    "199",
    severity=ERROR,
    message="Episode information shows child has been previously adopted from care. [NOTE: "
    "This only tests the current and previous year data loaded into the tool]",
    fields=("child_id",),
    tables=EPISODE,
)
def episode_after_adoption(ctx: RuleContext) -> pd.Series:
    """Any episode after one that ended in adoption (E11, E12): the child was adopted."""
    eps = episodes(ctx)
    adopted = eps["rec"].isin({"E11", "E12"}).astype(int)
    group = np.cumsum(eps["first"].to_numpy())
    adoptions_before = adopted.groupby(group).cumsum() - adopted
    return adoptions_before > 0


@RULES.rule(
    "437",
    severity=ERROR,
    message="Reason episode ceased is child has died or is aged 18 or over but there "
    "are further episodes.",
    fields=("end_reason",),
    tables=EPISODE,
)
def episodes_after_death_or_18(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    return eps["rec"].isin({"E2", "E15"}) & ~eps["last"]


@RULES.rule(
    "501",
    severity=ERROR,
    message="A new episode has started before the end date of the previous episode.",
    fields=("start_date", "end_date"),
    tables=EPISODE,
)
def episode_starts_before_previous_ended(ctx: RuleContext) -> pd.Series:
    eps = episodes(ctx)
    return eps["start"] < eps["prev_end"]


@RULES.rule(
    "426",
    severity=ERROR,
    message="A child receiving respite care cannot be recorded under a legal status of "
    "V3 and V4 in the same year.",
    fields=("legal_status",),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def both_respite_statuses(ctx: RuleContext) -> pd.Series:
    df = ctx.table("cla_episode")
    v3 = set(df.loc[df["legal_status"].eq("V3").fillna(False), "child_id"].dropna())
    v4 = set(df.loc[df["legal_status"].eq("V4").fillna(False), "child_id"].dropna())
    both = np.array(sorted(v3 & v4), dtype=object)
    return df["legal_status"].isin(codes.RESPITE_LEGAL_STATUS) & among(df["child_id"], both)


def _status_period_too_long(status: str, max_days: int) -> RuleFunc:
    """Consecutive episodes under ``status`` (each starting on or before the previous one
    ended) that together last more than ``max_days`` (open ones run to the period end)."""

    def too_long(ctx: RuleContext) -> pd.Series:
        eps = episodes(ctx)
        run = eps[eps["ls"].eq(status).fillna(False) & eps["start"].notna()]
        end = run["end"].fillna(ctx.period_end)
        previous_end = end.shift(1)
        new_child = group_starts(run["child_id"])
        new_run = new_child | (run["start"] > previous_end).to_numpy()
        run_id = np.cumsum(new_run)
        first_start = run["start"].groupby(run_id).transform("min")
        last_end = end.groupby(run_id).transform("max")
        return (last_end - first_start).dt.days > max_days

    return too_long


RULES.rule(
    "361",
    severity=ERROR,
    message="Police protection legal status lasted longer than maximum 72 hours allowed "
    "in the Children Act 1989.",
    fields=("legal_status", "end_date", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)(_status_period_too_long("L1", 3))
RULES.rule(
    "362",
    severity=ERROR,
    message="Emergency protection order (EPO) lasted longer than 21 days",
    fields=("legal_status", "end_date", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)(_status_period_too_long("L2", 21))
RULES.rule(
    "363",
    severity=ERROR,
    message="Child assessment order (CAO) lasted longer than 7 days allowed in the "
    "Children Act 1989.",
    fields=("legal_status", "end_date", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)(_status_period_too_long("L3", 7))
RULES.rule(
    "364",
    severity=ERROR,
    message="Sections 41-46 of Police and Criminal Evidence (PACE; 1984) severely limits "
    "the time a child can be detained in custody in Local Authority (LA) "
    "accommodation.",
    fields=("legal_status", "end_date", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)(_status_period_too_long("J2", 21))


@RULES.rule(
    "367",
    severity=ERROR,
    message="The maximum amount of respite care allowable is 75 days in any 12-month period.",
    fields=("legal_status", "end_date", "start_date"),
    tables=EPISODE,
    needs=("cla_episode.legal_status",),
)
def too_much_respite(ctx: RuleContext) -> pd.Series:
    """Days under V3 in the 12 months to the period end (from the period start when that is
    later, as in a single-year return) must not exceed 75."""
    df = ctx.table("cla_episode")
    window_start = ctx.period_end - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    if ctx.period_start is not None:
        window_start = max(window_start, ctx.period_start)
    v3 = df[df["legal_status"].eq("V3").fillna(False) & df["start_date"].notna()]
    start = v3["start_date"].where(v3["start_date"] >= window_start, window_start)
    end = v3["end_date"].where(v3["end_date"] <= ctx.period_end, ctx.period_end)
    days = (end - start).dt.days.clip(lower=0)
    total = days.groupby(v3["child_id"]).transform("sum")
    return (total > 75) & (days > 0)


def _temporary_too_long(place: str, max_days: int) -> RuleFunc:
    """Temporary placements of type ``place`` lasting more than ``max_days``; one still open
    counts to the period end (it has already lasted that long)."""

    def too_long(ctx: RuleContext) -> pd.Series:
        df = ctx.table("cla_episode")
        end = df["end_date"].fillna(ctx.period_end)
        return df["placement_type"].eq(place) & (
            end > df["start_date"] + pd.Timedelta(days=max_days)
        )

    return too_long


RULES.rule(
    "375",
    severity=ERROR,
    message="Hospitalisation coded as a temporary placement exceeds six weeks.",
    fields=("placement_type", "end_date"),
    tables=EPISODE,
)(_temporary_too_long("T1", 42))
RULES.rule(
    "376",
    severity=ERROR,
    message="Temporary placements coded as being due to holiday of usual foster "
    "carer(s) cannot exceed three weeks.",
    fields=("placement_type", "end_date"),
    tables=EPISODE,
)(_temporary_too_long("T3", 21))
RULES.rule(
    "379",
    severity=ERROR,
    message="Temporary placements for unspecified reason (placement code T4) cannot "
    "exceed seven days.",
    fields=("placement_type", "end_date"),
    tables=EPISODE,
)(_temporary_too_long("T4", 7))


@RULES.rule(
    "377",
    severity=ERROR,
    message="Only two temporary placements coded as being due to holiday of usual "
    "foster carer(s) are allowed in any 12- month period.",
    fields=("placement_type",),
    tables=EPISODE,
)
def too_many_holiday_placements(ctx: RuleContext) -> pd.Series:
    """A third T3 placement starting within 12 months of the child's T3 placement two before
    it (sorted by start)."""
    eps = episodes(ctx)
    t3 = eps[eps["place"].eq("T3").fillna(False) & eps["start"].notna()]
    same_child_two_back = t3["child_id"].eq(t3["child_id"].shift(2)).fillna(False)
    within_year = t3["start"] < add_years(t3["start"].shift(2), 1)
    return same_child_two_back & within_year


# --- Missing episodes ---------------------------------------------------------------------


@RULES.rule(
    "1004",
    severity=ERROR,
    message="The start date of the missing episode or episode that the child was away "
    "from placement without authorisation is not a valid date.",
    fields=("start_date",),
    tables=MISSING,
)
def missing_start_invalid(ctx: RuleContext) -> pd.Series:
    # A blank and an unreadable date are both NaT in the canonical table.
    return ctx.table("missing_episode")["start_date"].isna()


@RULES.rule(
    "564",
    severity=ERROR,
    message="Child was missing or away from placement without authorisation and the "
    "date started is blank.",
    fields=("start_date", "type"),
    tables=MISSING,
)
def missing_type_without_start(ctx: RuleContext) -> pd.Series:
    df = ctx.table("missing_episode")
    return df["type"].isin(codes.MISSING_TYPE) & df["start_date"].isna()


@RULES.rule(
    "565",
    severity=ERROR,
    message="The date that the child started to be missing or away from placement "
    "without authorisation has been completed but whether the child was missing "
    "or away from placement without authorisation has not been completed.",
    fields=("type", "start_date"),
    tables=MISSING,
)
def missing_start_without_type(ctx: RuleContext) -> pd.Series:
    df = ctx.table("missing_episode")
    return df["start_date"].notna() & df["type"].isna()


@RULES.rule(
    "566",
    severity=ERROR,
    message="The date that the child's episode of being missing or away from placement "
    "without authorisation ended has been completed but whether the child was "
    "missing or away without authorisation has not been completed.",
    fields=("type", "end_date"),
    tables=MISSING,
)
def missing_end_without_type(ctx: RuleContext) -> pd.Series:
    df = ctx.table("missing_episode")
    return df["end_date"].notna() & df["type"].isna()


@RULES.rule(
    "570",
    severity=ERROR,
    message="The date that the child started to be missing or away from placement "
    "without authorisation is after the end of the collection year.",
    fields=("start_date",),
    tables=MISSING,
)
def missing_starts_after_year_end(ctx: RuleContext) -> pd.Series:
    return ctx.table("missing_episode")["start_date"] > ctx.period_end


@RULES.rule(
    "571",
    severity=ERROR,
    message="The date that the child ceased to be missing or away from placement without "
    "authorisation is before the start or after the end of the collection year.",
    fields=("end_date",),
    tables=MISSING,
)
def missing_end_outside_year(ctx: RuleContext) -> pd.Series:
    return ctx.outside_period(ctx.table("missing_episode")["end_date"])


@RULES.rule(
    "574",
    severity=ERROR,
    message="A new missing/away from placement without authorisation period cannot start "
    "when the previous missing/away from placement without authorisation period "
    "is still open. Missing/away from placement without authorisation periods "
    "should also not overlap.",
    fields=("start_date", "end_date"),
    tables=MISSING,
)
def missing_periods_overlap(ctx: RuleContext) -> pd.Series:
    df = ctx.table("missing_episode")
    # A period still open never ends; one may start on the day the previous one ended.
    end = df["end_date"].fillna(pd.Timestamp.max)
    return starts_inside_other(df, ["child_id"], "start_date", end, inclusive=False)


@RULES.rule(
    "575",
    severity=ERROR,
    message="If the placement from which the child goes missing/away from placement "
    "without authorisation ends, the missing/away from placement without "
    "authorisation period in the missing module must also have an end date.",
    fields=("end_date",),
    tables=("missing_episode", "cla_episode"),
)
def missing_open_after_placement_ended(ctx: RuleContext) -> pd.Series:
    missing = ctx.table("missing_episode")
    open_ = missing[missing["end_date"].isna() & missing["start_date"].notna()]
    open_ = open_[["child_id", "start_date"]].reset_index()
    eps = episodes(ctx)
    ended = eps.loc[eps["end"].notna(), ["child_id", "start", "end"]]
    pairs = open_.merge(ended, on="child_id")
    inside = (pairs["start_date"] >= pairs["start"]) & (pairs["start_date"] <= pairs["end"])
    return ctx.mask("missing_episode", pairs.loc[inside, "index"])


@RULES.rule(
    "577",
    severity=ERROR,
    message="Child ceased to be looked after but there is a missing/away from placement "
    "without authorisation period without an end date.",
    fields=("end_date",),
    tables=("missing_episode", "cla_episode"),
)
def missing_open_after_care_ended(ctx: RuleContext) -> pd.Series:
    """The child's last period of care has ended, yet a missing period is still open."""
    periods = periods_of_care(ctx)
    last = periods.drop_duplicates("child_id", keep="last")
    ceased = last.loc[last["end"].notna(), "child_id"].unique()
    missing = ctx.table("missing_episode")
    return missing["end_date"].isna() & among(missing["child_id"], ceased)


def _outside_care(ctx: RuleContext) -> pd.DataFrame:
    """For each missing episode with a start date and a child with episodes: whether it
    starts inside one of the child's periods of care, and before the first."""

    def build() -> pd.DataFrame:
        missing = ctx.table("missing_episode")
        starts = missing.loc[missing["start_date"].notna(), ["child_id", "start_date"]]
        pairs = starts.reset_index().merge(periods_of_care(ctx), on="child_id")
        inside = (pairs["start_date"] >= pairs["start"]) & (
            pairs["end"].isna() | (pairs["start_date"] <= pairs["end"])
        )
        grouped = pd.DataFrame({"index": pairs["index"], "inside": inside})
        result = grouped.groupby("index")["inside"].any().to_frame()
        first_start = pairs.groupby("index")["start"].min()
        result["before_first"] = starts.loc[result.index, "start_date"] < first_start
        return result

    return ctx.memo("903_missing_vs_care", build)


@RULES.rule(
    "578",
    severity=ERROR,
    message="The date that the child started to be missing is after the child ceased to "
    "be looked after.",
    fields=("start_date",),
    tables=("missing_episode", "cla_episode"),
)
def missing_after_care_ended(ctx: RuleContext) -> pd.Series:
    found = _outside_care(ctx)
    return ctx.mask("missing_episode", found.index[~found["inside"] & ~found["before_first"]])


@RULES.rule(
    "581",
    severity=ERROR,
    message="Child is missing but has not yet started to be looked after.",
    fields=("start_date",),
    tables=("missing_episode", "cla_episode"),
)
def missing_before_care_started(ctx: RuleContext) -> pd.Series:
    found = _outside_care(ctx)
    return ctx.mask("missing_episode", found.index[found["before_first"]])


@RULES.rule(
    "580",
    severity=ERROR,
    message="Child is missing when cease being looked after but reason episode ceased not ‘E8’.",  # noqa: RUF001 (DfE wording)
    fields=("end_reason",),
    tables=("cla_episode", "missing_episode", "child"),
)
def missing_at_18_not_e8(ctx: RuleContext) -> pd.Series:
    """An episode ending on the child's 18th birthday, the day a missing period ended,
    must have REC E8 (period of being looked after ended while missing)."""
    eps = episodes(ctx)
    ended = eps[eps["end"].notna()]
    ended = ended.loc[ended["end"] == add_years(ended["dob"], 18), ["child_id", "end", "rec"]]
    missing = ctx.table("missing_episode")[["child_id", "end_date"]].dropna()
    pairs = ended.reset_index().merge(
        missing, left_on=["child_id", "end"], right_on=["child_id", "end_date"]
    )
    wrong = pairs.loc[differs(pairs["rec"], "E8"), "index"]
    return ctx.mask("cla_episode", wrong)


@RULES.rule(
    "586",
    severity=ERROR,
    message="Dates of missing periods are before child’s date of birth.",  # noqa: RUF001 (DfE wording)
    fields=("start_date",),
    tables=("missing_episode", "child"),
)
def missing_before_birth(ctx: RuleContext) -> pd.Series:
    df = ctx.table("missing_episode")
    return df["start_date"] <= ctx.child_value("missing_episode", "date_of_birth")
