"""Small hand-made extracts for the reader tests: CIN census XML and DfE API JSON builders,
and a real zip bomb."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

DATA = Path(__file__).parent / "data"

HEADER = """<Header>
  <CollectionDetails><Collection>CIN</Collection><Year>2024</Year>
    <ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails>
  <Source><SourceLevel>L</SourceLevel><LEA>201</LEA><SoftwareCode>X</SoftwareCode>
    <Release>1</Release><SerialNo>001</SerialNo><DateTime>2024-05-01T10:00:00</DateTime></Source>
</Header>"""


def cin_message(*children: str, header: str = HEADER, xmlns: str | None = None) -> str:
    """A CIN census document holding the given ``<Child>`` elements."""
    ns = f' xmlns="{xmlns}"' if xmlns else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Message{ns}>\n{header}\n<Children>\n'
        + "\n".join(children)
        + "\n</Children>\n</Message>\n"
    )


def cin_child(
    child_id: str = "C1",
    *details: str,
    sex_tag: str = "GenderCurrent",
    sex: str = "1",
    dob: str = "2015-03-27",
    disabilities: tuple[str, ...] = ("NONE",),
) -> str:
    """One ``<Child>``; ``details`` are ``<CINdetails>`` elements (one default one if none)."""
    dis = "".join(f"<Disability>{d}</Disability>" for d in disabilities)
    body = details or (cin_details(),)
    return (
        f"<Child>\n<ChildIdentifiers><LAchildID>{child_id}</LAchildID>"
        f"<PersonBirthDate>{dob}</PersonBirthDate><{sex_tag}>{sex}</{sex_tag}></ChildIdentifiers>\n"
        f"<ChildCharacteristics><Ethnicity>WBRI</Ethnicity><Disabilities>{dis}</Disabilities>"
        f"</ChildCharacteristics>\n" + "\n".join(body) + "\n</Child>"
    )


def cin_details(
    referral_date: str = "2023-06-01",
    *modules: str,
    closure: tuple[str, str] | None = None,
    nfa: str = "false",
) -> str:
    """One ``<CINdetails>`` with its modules (``cin_assessment()`` etc.) in schema order."""
    close = (
        f"<CINclosureDate>{closure[0]}</CINclosureDate><ReasonForClosure>{closure[1]}"
        "</ReasonForClosure>"
        if closure
        else ""
    )
    order = ("<Assessments", "<CINPlanDates", "<Section47")
    before = [m for m in modules if m.startswith(order)]
    after = [m for m in modules if not m.startswith(order)]
    return (
        f"<CINdetails>\n<CINreferralDate>{referral_date}</CINreferralDate>"
        f"<ReferralSource>1A</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>{close}\n"
        + "\n".join(before)
        + f"\n<ReferralNFA>{nfa}</ReferralNFA>\n"
        + "\n".join(after)
        + "\n</CINdetails>"
    )


def cin_assessment(start: str, authorised: str | None = None, factors: tuple[str, ...] = ()) -> str:
    auth = (
        f"<AssessmentAuthorisationDate>{authorised}</AssessmentAuthorisationDate>"
        if authorised
        else ""
    )
    fac = "".join(f"<AssessmentFactors>{f}</AssessmentFactors>" for f in factors)
    fac = f"<FactorsIdentifiedAtAssessment>{fac}</FactorsIdentifiedAtAssessment>" if factors else ""
    return (
        f"<Assessments><AssessmentActualStartDate>{start}</AssessmentActualStartDate>{auth}{fac}"
        "</Assessments>"
    )


def cin_plan(start: str, end: str | None = None) -> str:
    end_xml = f"<CINPlanEndDate>{end}</CINPlanEndDate>" if end else ""
    return f"<CINPlanDates><CINPlanStartDate>{start}</CINPlanStartDate>{end_xml}</CINPlanDates>"


def cin_s47(start: str, icpc: str | None = None, not_required: str = "false") -> str:
    icpc_xml = f"<DateOfInitialCPC>{icpc}</DateOfInitialCPC>" if icpc else ""
    return (
        f"<Section47><S47ActualStartDate>{start}</S47ActualStartDate>{icpc_xml}"
        f"<ICPCnotRequired>{not_required}</ICPCnotRequired></Section47>"
    )


def cin_cpp(start: str, end: str | None = None, category: str = "NEG", previous: str = "1") -> str:
    end_xml = f"<CPPendDate>{end}</CPPendDate>" if end else ""
    return (
        f"<ChildProtectionPlans><CPPstartDate>{start}</CPPstartDate>{end_xml}"
        f"<InitialCategoryOfAbuse>{category}</InitialCategoryOfAbuse>"
        f"<LatestCategoryOfAbuse>{category}</LatestCategoryOfAbuse>"
        f"<NumberOfPreviousCPP>{previous}</NumberOfPreviousCPP></ChildProtectionPlans>"
    )


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """Write a file under ``tmp_path`` and return its path."""
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def zip_bomb(path: Path, size: int = 2 * 1024**3, member: str = "zeros.csv") -> Path:
    """A genuine zip bomb: one deflated entry that unpacks to ``size`` zero bytes (2 GB by
    default) in about 2 MB, written in well under a second.

    A 16 MB block of zeros is deflated once, ending with a full flush so the block is
    byte-aligned and refers to nothing before it; repeating it and closing the stream with an
    empty final block is valid deflate data. The zip headers are written by hand because
    ``zipfile`` would deflate all 2 GB itself (seconds of CPU).
    """
    block_size = 16 * 1024 * 1024
    zeros = bytes(block_size)
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = squeezer.compress(zeros) + squeezer.flush(zlib.Z_FULL_FLUSH)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    count = size // block_size
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    compressed = count * len(block) + len(end)
    name = member.encode()
    local = struct.pack(
        "<4s5H3L2H",
        b"PK\x03\x04",
        20,
        0,
        8,
        0,
        0,
        crc,
        compressed,
        count * block_size,
        len(name),
        0,
    )
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, compressed, count * block_size,
        len(name), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    with path.open("wb") as fh:
        fh.write(local + name)
        for _ in range(count):
            fh.write(block)
        fh.write(end)
        directory_at = fh.tell()
        fh.write(central + name)
        fh.write(
            struct.pack(
                "<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), directory_at, 0
            )
        )
    return path
