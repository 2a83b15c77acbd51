"""The stored state read back as a payload the file reader accepts (the snapshot's input)."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from portal.models import LocalAuthority
from submissions.api import services
from submissions.api.schemas import PAYLOAD
from submissions.extract.readers import api_json
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_api_json

pytestmark = pytest.mark.django_db


def _generated_payload(tmp_path: Path) -> list[dict[str, object]]:
    extract = generate("370", date(2024, 4, 1), date(2026, 3, 31), children=150, clean=True)
    (path,) = write_api_json(extract, tmp_path)
    return json.loads(path.read_text())


def test_the_generators_payload_passes_the_schema(tmp_path: Path) -> None:
    PAYLOAD.validate_python(_generated_payload(tmp_path))


def test_current_payload_reads_back_as_the_payload_that_was_sent(
    reference_data: None, tmp_path: Path
) -> None:
    la = LocalAuthority.objects.get(code="370")
    records = _generated_payload(tmp_path)
    for start in range(0, len(records), 100):
        batch = records[start : start + 100]
        body = json.dumps(batch).encode()
        services.apply_batch(la, None, hashlib.sha256(body).hexdigest(), batch)

    payload = services.current_payload(la)
    dumped = tmp_path / "current.json"
    dumped.write_text(json.dumps(payload))
    result = api_json.read(dumped, "current.json")

    assert payload == sorted(records, key=lambda r: r["la_child_id"])  # type: ignore[arg-type, return-value]
    bad = [f for f in result.findings if f.code in {"JSON_TYPE", "MISSING_FIELD", "JSON_SYNTAX"}]
    assert bad == []
    assert len(result.tables["child"]) == len(records)
