"""Snapshots: an API-fed LA's current records (``ApiChildRecord``) as a submission.

The endpoint only keeps state; a snapshot turns that state into an ordinary submission, so an
API-fed LA's figures go through the same checks, acceptance and indicators as an upload: one
JSON file, the payload the sender would have posted in one go, written from the stored records
(streamed, one record at a time, so 60,000 children never sit in memory as one list), dated
``as_of`` with the API's documented coverage window (1 April of the financial year 24 months
before, ``readers.api_json.window_start``).

The payload has no legal status and no missing episodes: an API-fed LA adds them by
uploading its SSDA903 tables as usual. The snapshot includes the files of the LA's latest such
upload that has no errors (``supplement``), and the reader keeps the 903's episodes for the
children it covers (``readers._prefer_903_placements``), so nothing is counted twice.

When: nightly at the LA's ``ApiFeed.snapshot_hour`` (``workers.tasks.snapshot_api_feeds``),
or when its data lead asks (``submissions.views.api_feed``), or from the command line
(``manage.py snapshot_api``). Nothing is taken when no record has changed since the last one.
Callers enqueue ``process_submission`` once the transaction commits (this module, like
``submissions.services``, never imports tasks); a snapshot with no errors is accepted
automatically when the feed says so (``workers.tasks.process_submission``).
"""

from __future__ import annotations

import json
import tempfile
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import IO

from django.core.files import File
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from portal.models import LocalAuthority, User
from submissions import services
from submissions.extract.canonical import Format
from submissions.extract.readers.api_json import window_start
from submissions.models import ApiChildRecord, ApiFeed, Submission

__all__ = [
    "NothingToSnapshot",
    "due",
    "feed_for",
    "records_changed_since",
    "supplement",
    "take_snapshot",
]

NO_RECORDS = (
    "No child records have been received through the API for {la} yet, so there is nothing "
    "to check. Point your sender at this service first (see the API clients page)."
)


class NothingToSnapshot(services.NotAllowed):
    """No record is held for the LA."""


def feed_for(la: LocalAuthority) -> ApiFeed:
    """The LA's feed settings, created with the defaults the first time they are needed."""
    feed, _ = ApiFeed.objects.get_or_create(local_authority=la)
    return feed


def records_changed_since(la: LocalAuthority, when: object) -> bool:
    """Whether any record of ``la`` was written after ``when`` (None: whether any exists)."""
    records = ApiChildRecord.objects.filter(local_authority=la)
    if when is None:
        return records.exists()
    latest = records.aggregate(latest=Max("updated_at"))["latest"]
    return latest is not None and latest > when


def file_name(la: LocalAuthority, as_of: date) -> str:
    return f"api-snapshot-{la.code}-{as_of:%Y-%m-%d}.json"


#: An upload that is only these formats adds the looked-after tables to the LA's snapshots.
SUPPLEMENT_FORMATS = frozenset({Format.SSDA903_CSV.value, Format.SSDA903_XML.value})


def supplement(la: LocalAuthority) -> Submission | None:
    """The LA's latest upload of SSDA903 tables alone, checked with no errors and with its
    files still held: the snapshot adds its files (None when there is none)."""
    checked = (
        Submission.objects.filter(
            local_authority=la,
            source=Submission.Source.UPLOAD,
            status__in=[Submission.Status.READY, Submission.Status.ACCEPTED,
                        Submission.Status.SUPERSEDED],
            error_count=0,
            raw_files_deleted_at__isnull=True,
        )
        .order_by("-created_at")
        .only("pk", "formats", "as_of", "created_at")
    )  # fmt: skip
    for submission in checked[:20]:
        if submission.formats and set(submission.formats) <= SUPPLEMENT_FORMATS:
            return submission
    return None


def write_payload(la: LocalAuthority, out: IO[str]) -> int:
    """Write ``la``'s current records to ``out`` as one JSON array, in ``la_child_id``
    order; the number written."""
    count = 0
    out.write("[")
    records = (
        ApiChildRecord.objects.filter(local_authority=la)
        .order_by("la_child_id")
        .values_list("record", flat=True)
    )
    for record in records.iterator(chunk_size=2000):
        out.write(",\n" if count else "\n")
        json.dump(record, out, ensure_ascii=False, separators=(",", ":"))
        count += 1
    out.write("\n]\n")
    return count


def take_snapshot(
    la: LocalAuthority,
    *,
    as_of: date | None = None,
    user: User | None = None,
    request: HttpRequest | None = None,
) -> Submission:
    """A new RECEIVED submission holding ``la``'s current records, dated ``as_of`` (default
    today). ``user`` is the data lead who asked (None for the nightly run). Raises
    ``NothingToSnapshot`` when no record is held."""
    as_of = as_of or timezone.localdate()
    feed = feed_for(la)
    name = file_name(la, as_of)
    added = supplement(la)
    with tempfile.TemporaryDirectory(prefix="csc-snapshot-") as folder:
        path = Path(folder) / name
        with path.open("w", encoding="utf-8") as out:
            count = write_payload(la, out)
        if not count:
            raise NothingToSnapshot(NO_RECORDS.format(la=la.name), code="no_records")
        files = [(path, name)]
        if added is not None:
            extra = Path(folder) / "supplement"
            extra.mkdir(mode=0o700)
            files += [(p, shown) for shown, p in services.decrypt_files(added, extra)]
        with ExitStack() as stack:
            opened = [
                (File(stack.enter_context(p.open("rb")), name=shown), shown) for p, shown in files
            ]
            submission = services.store_submission(
                local_authority=la,
                user=user,
                as_of=as_of,
                coverage_start=window_start(as_of),
                files=opened,
                source=Submission.Source.API,
                request=request,
                record_count=count,
                snapshot="requested" if user else "scheduled",
                supplement=str(added.pk) if added else None,
            )
    feed.last_snapshot_at = submission.created_at
    feed.save(update_fields=["last_snapshot_at"])
    return submission


def due(now: object = None) -> list[ApiFeed]:
    """The feeds whose nightly snapshot is due in this hour (UK time): scheduled for it, not
    yet taken today, and with records changed since the last one."""
    now = timezone.localtime(now)  # type: ignore[arg-type]
    feeds = ApiFeed.objects.select_related("local_authority").filter(snapshot_hour=now.hour)
    today = now.date()
    return [
        feed
        for feed in feeds
        if (feed.last_snapshot_at is None or timezone.localdate(feed.last_snapshot_at) < today)
        and records_changed_since(feed.local_authority, feed.last_snapshot_at)
    ]
