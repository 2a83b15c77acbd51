"""The per-client token bucket (``submissions.api.throttle``), on the configured cache."""

from __future__ import annotations

import uuid

from django.test import override_settings

from submissions.api.throttle import retry_after


def test_the_senders_pattern_of_20_a_second_is_never_refused() -> None:
    client = uuid.uuid4().hex
    refused = [retry_after(client, now=1000 + i / 20) for i in range(20 * 60)]  # a minute

    assert set(refused) == {None}


def test_a_burst_then_the_sustained_rate() -> None:
    client = uuid.uuid4().hex
    burst = [retry_after(client, now=1000.0) for _ in range(50)]

    assert set(burst) == {None}
    assert retry_after(client, now=1000.0) == 1  # the 51st at once: wait a second
    assert retry_after(client, now=1000.04) is None  # one token back after 1/25 s


@override_settings(API_RATE_LIMIT_BURST=2, API_RATE_LIMIT_PER_SECOND=0.5)
def test_retry_after_says_how_long_to_wait() -> None:
    client = uuid.uuid4().hex
    assert retry_after(client, now=0.0) is None
    assert retry_after(client, now=0.0) is None

    assert retry_after(client, now=0.0) == 2
    assert retry_after(client, now=2.0) is None
    assert retry_after(uuid.uuid4().hex, now=0.0) is None  # each client has its own bucket
