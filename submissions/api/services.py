"""The API-fed LAs' state: applying a batch once, and reading the state back as a payload.

``apply_batch`` runs in one transaction per batch: the replay log row first (so the same
body posted twice at once waits on the unique key, and the second gets the first's
receipts), then one select of the batch's existing records, the merge in memory, one bulk
upsert and one delete. That keeps a batch of 100 to a handful of queries.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction

from portal.models import ApiClientAccount, LocalAuthority
from submissions.api import merge
from submissions.models import ApiBatch, ApiChildRecord

__all__ = ["BatchResult", "apply_batch", "current_payload", "receipt"]


def receipt(at: datetime) -> str:
    """One record's receipt, as the Python sender parses it: it splits on ``_`` into date,
    time and id and reads ``%Y-%m-%d %H:%M:%S.%f`` (a uuid4 has no underscore)."""
    return f"{at:%Y-%m-%d_%H:%M:%S.%f}_{uuid.uuid4()}"


class BatchResult:
    """The receipts for a batch, and whether it was a replay of one already applied."""

    def __init__(self, receipts: list[str], replay: bool) -> None:
        self.receipts = receipts
        self.replay = replay


def apply_batch(
    la: LocalAuthority,
    client: ApiClientAccount | None,
    body_sha256: str,
    records: Sequence[dict[str, Any]],
) -> BatchResult:
    """Apply ``records`` (validated payload records, as sent) to ``la``'s state, once."""
    previous = ApiBatch.objects.filter(local_authority=la, body_sha256=body_sha256).first()
    if previous is not None:
        return BatchResult(list(previous.receipts), replay=True)
    try:
        return _apply(la, client, body_sha256, records)
    except IntegrityError:
        # The same body, applied by a concurrent request that committed first.
        previous = ApiBatch.objects.filter(local_authority=la, body_sha256=body_sha256).first()
        if previous is None:
            raise
        return BatchResult(list(previous.receipts), replay=True)


@transaction.atomic
def _apply(
    la: LocalAuthority,
    client: ApiClientAccount | None,
    body_sha256: str,
    records: Sequence[dict[str, Any]],
) -> BatchResult:
    now = datetime.now(UTC)
    receipts = [receipt(now) for _ in records]
    ApiBatch.objects.create(
        local_authority=la,
        client=client,
        body_sha256=body_sha256,
        received_at=now,
        record_count=len(records),
        receipts=receipts,
    )
    ids = {record["la_child_id"] for record in records}
    stored = dict(
        ApiChildRecord.objects.select_for_update()
        .filter(local_authority=la, la_child_id__in=ids)
        .values_list("la_child_id", "record")
    )
    existed = set(stored)
    state: dict[str, dict[str, Any] | None] = dict(stored)
    for record in records:
        child_id = record["la_child_id"]
        state[child_id] = merge.apply(state.get(child_id), record)
    keep = [
        ApiChildRecord(local_authority=la, la_child_id=child_id, record=record, updated_at=now)
        for child_id, record in state.items()
        if record is not None
    ]
    if keep:
        ApiChildRecord.objects.bulk_create(
            keep,
            update_conflicts=True,
            unique_fields=["local_authority", "la_child_id"],
            update_fields=["record", "updated_at"],
        )
    gone = [
        child_id for child_id, record in state.items() if record is None and child_id in existed
    ]
    if gone:
        ApiChildRecord.objects.filter(local_authority=la, la_child_id__in=gone).delete()
    return BatchResult(receipts, replay=False)


def current_payload(la: LocalAuthority) -> list[dict[str, Any]]:
    """Every current record of ``la``, sorted by ``la_child_id``: a payload the file reader
    (``submissions.extract.readers.api_json``) reads when dumped as JSON."""
    return list(
        ApiChildRecord.objects.filter(local_authority=la)
        .order_by("la_child_id")
        .values_list("record", flat=True)
    )
