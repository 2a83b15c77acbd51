"""The per-client rate limit: a token bucket on the shared Django cache.

Kept as GCRA (the "generic cell rate algorithm", a token bucket stored as one timestamp): a
client may post ``API_RATE_LIMIT_BURST`` requests at once and ``API_RATE_LIMIT_PER_SECOND``
sustained. The cache is Redis in production, so every web process shares the bucket; two
simultaneous requests may both pass on the last token (read, then write), which is harmless
for a limit meant to stop floods. The sender posts about 20 batches a second, retries three
times five seconds apart and ignores Retry-After, so the default (50 burst, 25 a second)
never refuses its normal pattern.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

__all__ = ["retry_after"]


def retry_after(client_key: str, now: float | None = None) -> int | None:
    """Take one request from ``client_key``'s bucket: None if allowed, else the seconds to
    wait (for ``Retry-After``)."""
    rate = float(settings.API_RATE_LIMIT_PER_SECOND)
    burst = max(1, int(settings.API_RATE_LIMIT_BURST))
    now = time.time() if now is None else now
    interval = 1.0 / rate
    key = f"api-throttle:{client_key}"
    # The theoretical arrival time: when the bucket would be full again.
    tat = max(float(cache.get(key) or 0.0), now)
    new_tat = tat + interval
    if new_tat - now > burst * interval + 1e-9:
        return max(1, math.ceil(new_tat - burst * interval - now))
    cache.set(key, new_tat, timeout=math.ceil(new_tat - now) + 1)
    return None
