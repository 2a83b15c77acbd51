"""Code lists and the bank-holiday calendar the rules check against.

Sources (copied from the DfE/liia-tools specifications; the XSD is in ``extract/specs/``, see
its ``PROVENANCE.md``):

- CIN census: ``cin-census/CIN_schema_2024.xsd`` (the ``xs:enumeration`` lists of
  ``ethnicitytype``, ``referralsourcetype``, ``primaryneedcodetype``, ``reasonforclosuretype``,
  ``categoryofabuse``).
- SSDA903: ``ssda903/SSDA903_schema_2024.yml`` (``Episodes.RNE``, ``LS``, ``PLACE``, ``REC``,
  ``Missing.MISSING``, ``Header.ETHNIC``), with the yearly placement-type changes from the DfE
  903 rule 146 (2024/25 adds K3 "supported accommodation"; 2025/26 drops H5, P2 and Z1 and
  splits Z1 into Z11-Z14), as implemented in ``csc-validator-be-903`` 0.1.17.
- Sex: the canonical model stores M / F / U whatever the source coding (CIN 1/2/0/9, 903 1/2,
  2024/25 onwards M/F/U), so one list serves every format and year.
- Bank holidays in England and Wales (GOV.UK ``bank-holidays.json``), for the CIN rules that
  count working days (8569Q, 8670Q, 8675Q). Outside these years only weekends are skipped.
"""

from __future__ import annotations

from datetime import date

SEX = frozenset({"M", "F", "U"})

#: DfE 4-character ethnicity codes (identical in the CIN XSD and the 903 spec).
ETHNICITY = frozenset({
    "WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
    "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU", "NOBT",
})  # fmt: skip

REFERRAL_SOURCE = frozenset({
    "1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F", "4", "5A", "5B",
    "5C", "5D", "6", "7", "8", "9", "10",
})  # fmt: skip

PRIMARY_NEED = frozenset({f"N{i}" for i in range(10)})
REASON_FOR_CLOSURE = frozenset({f"RC{i}" for i in range(1, 10)})
#: RC8 "case closed after assessment, no further action", RC9 "... referred to early help".
CLOSED_AFTER_ASSESSMENT = frozenset({"RC8", "RC9"})
CATEGORY_OF_ABUSE = frozenset({"NEG", "PHY", "SAB", "EMO", "MUL"})

#: Assessment factor "21": no factors identified.
NO_FACTORS = "21"

# --- SSDA903 -----------------------------------------------------------------------------

REASON_NEW_EPISODE = frozenset({"S", "L", "P", "T", "B", "U"})
LEGAL_STATUS = frozenset({
    "C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3",
})  # fmt: skip

PLACEMENT_TYPE_2023 = frozenset({
    "A3", "A4", "A5", "A6", "H5", "K1", "K2", "P1", "P2", "P3", "R1", "R2", "R3", "R5", "S1",
    "T0", "T1", "T2", "T3", "T4", "U1", "U2", "U3", "U4", "U5", "U6", "Z1",
})  # fmt: skip
PLACEMENT_TYPE_2024 = PLACEMENT_TYPE_2023 | {"K3"}
PLACEMENT_TYPE_2025 = (PLACEMENT_TYPE_2024 - {"H5", "P2", "Z1"}) | {"Z11", "Z12", "Z13", "Z14"}

REASON_EPISODE_CEASED = frozenset({
    "X1", "E11", "E12", "E2", "E3", "E4A", "E4B", "E13", "E41", "E45", "E46", "E47", "E48",
    "E5", "E6", "E7", "E9", "E14", "E15", "E16", "E17", "E8",
})  # fmt: skip

MISSING_TYPE = frozenset({"M", "A"})

#: Temporary placements (T0-T4) and short-term-break legal statuses (V3 single, V4 series).
TEMPORARY_PLACEMENTS = frozenset({"T0", "T1", "T2", "T3", "T4"})
RESPITE_LEGAL_STATUS = frozenset({"V3", "V4"})

# --- Calendar ----------------------------------------------------------------------------

BANK_HOLIDAYS_ENGLAND: tuple[date, ...] = tuple(
    date(y, m, d)
    for y, m, d in (
        (2019, 1, 1), (2019, 4, 19), (2019, 4, 22), (2019, 5, 6), (2019, 5, 27), (2019, 8, 26),
        (2019, 12, 25), (2019, 12, 26),
        (2020, 1, 1), (2020, 4, 10), (2020, 4, 13), (2020, 5, 8), (2020, 5, 25), (2020, 8, 31),
        (2020, 12, 25), (2020, 12, 28),
        (2021, 1, 1), (2021, 4, 2), (2021, 4, 5), (2021, 5, 3), (2021, 5, 31), (2021, 8, 30),
        (2021, 12, 27), (2021, 12, 28),
        (2022, 1, 3), (2022, 4, 15), (2022, 4, 18), (2022, 5, 2), (2022, 6, 2), (2022, 6, 3),
        (2022, 8, 29), (2022, 9, 19), (2022, 12, 26), (2022, 12, 27),
        (2023, 1, 2), (2023, 4, 7), (2023, 4, 10), (2023, 5, 1), (2023, 5, 8), (2023, 5, 29),
        (2023, 8, 28), (2023, 12, 25), (2023, 12, 26),
        (2024, 1, 1), (2024, 3, 29), (2024, 4, 1), (2024, 5, 6), (2024, 5, 27), (2024, 8, 26),
        (2024, 12, 25), (2024, 12, 26),
        (2025, 1, 1), (2025, 4, 18), (2025, 4, 21), (2025, 5, 5), (2025, 5, 26), (2025, 8, 25),
        (2025, 12, 25), (2025, 12, 26),
        (2026, 1, 1), (2026, 4, 3), (2026, 4, 6), (2026, 5, 4), (2026, 5, 25), (2026, 8, 31),
        (2026, 12, 25), (2026, 12, 28),
        (2027, 1, 1), (2027, 3, 26), (2027, 3, 29), (2027, 5, 3), (2027, 5, 31), (2027, 8, 30),
        (2027, 12, 27), (2027, 12, 28),
    )
)  # fmt: skip
