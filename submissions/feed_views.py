"""The API feed page of an LA: what the API has sent, the snapshot settings, and a button to
take a snapshot now (``submissions.api.snapshot``)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal import audit
from portal.access import VISIBILITY_ACTIONS, Action, OutOfScope, Refused, can, requires
from portal.models import AuditAction, LocalAuthority, User
from submissions.api import snapshot
from submissions.forms import ApiFeedForm
from submissions.models import ApiBatch, ApiChildRecord, Submission
from workers.tasks import process_submission

__all__ = ["api_feed"]


def _feed_la(request: HttpRequest, la_code: str) -> LocalAuthority:
    """The page's LA: 404 unless the viewer can see it at all, 403 unless they may read its
    reports (as ``portal.access.get_for_user_or_404`` decides for an LA's objects)."""
    la = LocalAuthority.objects.filter(code=la_code).first()
    if la is None:
        raise OutOfScope()
    if can(request.user, Action.VIEW_REPORT, la):
        return la
    if any(can(request.user, action, la) for action in VISIBILITY_ACTIONS):
        raise Refused(la.code)
    raise OutOfScope(la.code)


@require_http_methods(["GET", "POST"])
@requires(Action.VIEW_REPORT, per_object=True)
def api_feed(request: HttpRequest, la_code: str) -> HttpResponse:
    """GET: the feed; POST ``action=snapshot`` (data lead) takes a snapshot and opens its
    status page, POST ``action=settings`` (who may accept) saves the settings."""
    la = _feed_la(request, la_code)
    feed = snapshot.feed_for(la)
    can_snapshot = can(request.user, Action.UPLOAD, la)
    can_decide = can(request.user, Action.DECIDE, la)
    form = ApiFeedForm(instance=feed)
    if request.method == "POST":
        action = request.POST.get("action")
        user = request.user
        assert isinstance(user, User)  # signed in: the access decorator let the request in
        if action == "snapshot" and can_snapshot:
            try:
                submission = snapshot.take_snapshot(la, user=user, request=request)
            except snapshot.NothingToSnapshot as error:
                messages.error(request, error.message)
                return redirect("submissions:api_feed", la_code=la.code)
            submission_id = str(submission.pk)
            transaction.on_commit(lambda: process_submission.delay(submission_id), robust=True)
            return redirect("submissions:detail", submission_id=submission.pk)
        if action == "settings" and can_decide:
            form = ApiFeedForm(request.POST, instance=feed)
            if form.is_valid():
                feed = form.save(commit=False)
                feed.updated_by, feed.updated_at = user, timezone.now()
                feed.save()
                audit.record(
                    AuditAction.API_FEED_CHANGED,
                    request=request,
                    organisation=la.code,
                    obj=feed,
                    snapshot_hour=feed.snapshot_hour,
                    auto_accept=feed.auto_accept,
                )
                messages.success(request, "Your snapshot settings have been saved")
                return redirect("submissions:api_feed", la_code=la.code)
        elif action not in ("snapshot", "settings") or not (can_snapshot or can_decide):
            raise Http404("No such action.")
    records = ApiChildRecord.objects.filter(local_authority=la).aggregate(
        count=Count("pk"), latest=Max("updated_at")
    )
    context = {
        "la": la,
        "feed": feed,
        "form": form if can_decide else None,
        "can_snapshot": can_snapshot,
        "supplement": snapshot.supplement(la),
        "records": records,
        "batches": ApiBatch.objects.filter(local_authority=la).aggregate(
            count=Count("pk"), latest=Max("received_at")
        ),
        "snapshots": Submission.objects.filter(local_authority=la, source=Submission.Source.API)
        .select_related("created_by")
        .order_by("-created_at")[:10],
    }
    return render(request, "submissions/api_feed.html", context)
