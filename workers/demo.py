"""Demo data for the embedded default (``manage.py seed_demo_submissions``): the demo LAs'
submissions, checked and accepted (``submissions.demo``), and their figures computed
(``indicators.services``) in this process, as a worker would. It lives here, with the tasks,
because this is the layer that sees both apps. Never used in production.
"""

from __future__ import annotations

from datetime import date

from indicators.services import compute_and_store_indicators
from submissions import demo
from submissions.models import Submission

__all__ = ["seed_demo_submissions"]


def seed_demo_submissions(
    today: date | None = None, children: int | None = None
) -> list[Submission]:
    """Create and accept one submission per demo LA that has no accepted one yet, and compute
    the figures of each demo LA's accepted submission that has none (idempotent: a computation
    already done or given up on is not claimed again). Arguments as in ``submissions.demo``."""
    accepted = demo.seed_demo_submissions(today=today, children=children)
    for submission in accepted:
        compute_and_store_indicators(submission)
    return accepted
