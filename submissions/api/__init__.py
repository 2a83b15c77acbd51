"""The API intake: the DfE CSC API payload, posted by an LA's case-management sender.

``endpoint`` answers ``POST /api/children_social_care_data/<la_code>/children`` exactly as
the DfE's receiver does for Data to Insight's ``dfe-csc-api-data-flows`` sender; ``schemas``
validates the payload strictly (pydantic); ``merge`` applies full, delta and purge records to
the stored state; ``services`` keeps that state (``ApiChildRecord``, ``ApiBatch``) and turns
it back into a payload; ``throttle`` is the per-client rate limit. See docs/api-intake.md.
"""
