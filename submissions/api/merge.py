"""Applying one posted record (full, delta or deletion) to a child's stored record.

The sender (``api_pipeline/payload.py``) builds a delta from a recursive diff: objects carry
only changed keys, lists of items with an id carry only the new and changed items (each
with its id), and lists without ids (codes, SDQ scores) come whole. So the merge is:

* ``purge: true`` on the record: the child's record is deleted (``None``);
* ``purge: true`` on a block (an object such as ``child_details`` or ``adoption``, or an
  item of a keyed list): that block is deleted;
* objects merge key by key, recursively; lists keyed by id (``ID_KEYS``) merge item by
  item, matched on the id, new items appended; other lists and scalars replace.

A record for a child with nothing stored is taken as it comes (a delta with missing blocks
is the record). An item that a full record no longer lists stays until it is purged: the
sender sends deletions as ``purge: true``.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["ID_KEYS", "apply"]

#: Lists whose items are matched on an id key (the spec's identifiers).
ID_KEYS = {
    "social_care_episodes": "social_care_episode_id",
    "care_worker_details": "worker_id",
    "child_and_family_assessments": "child_and_family_assessment_id",
    "child_in_need_plans": "child_in_need_plan_id",
    "section_47_assessments": "section_47_assessment_id",
    "child_protection_plans": "child_protection_plan_id",
    "child_looked_after_placements": "child_looked_after_placement_id",
}

Record = dict[str, Any]


def apply(stored: Record | None, delta: Record) -> Record | None:
    """The child's record after ``delta``; ``None`` when the child is deleted. Neither
    argument is changed."""
    if delta.get("purge") is True:
        return None
    if stored is None:
        return _without_purged(copy.deepcopy(delta))
    return _merge_object(stored, delta)


def _merge_object(stored: Record, delta: Record) -> Record:
    out = dict(stored)
    for key, value in delta.items():
        if isinstance(value, dict):
            if value.get("purge") is True:
                out.pop(key, None)
            elif isinstance(out.get(key), dict):
                out[key] = _merge_object(out[key], value)
            else:
                out[key] = _without_purged(copy.deepcopy(value))
        elif isinstance(value, list) and key in ID_KEYS:
            existing = out.get(key)
            out[key] = _merge_list(existing if isinstance(existing, list) else [], value, key)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_list(stored: list[Any], delta: list[Any], key: str) -> list[Any]:
    id_key = ID_KEYS[key]
    items = list(stored)
    where = {item.get(id_key): i for i, item in enumerate(items) if isinstance(item, dict)}
    purged: set[int] = set()
    for item in delta:
        if not isinstance(item, dict):
            continue  # the schema allows none; kept out of the state all the same
        at = where.get(item.get(id_key))
        if item.get("purge") is True:
            if at is not None:
                purged.add(at)
            continue
        if at is None or at in purged:
            where[item.get(id_key)] = len(items)
            items.append(_without_purged(copy.deepcopy(item)))
        else:
            items[at] = _merge_object(items[at], item)
    return [item for i, item in enumerate(items) if i not in purged]


def _without_purged(value: Any) -> Any:
    """A new block as stored: its sub-blocks marked ``purge: true`` dropped (deleting what
    was never stored is nothing)."""
    if isinstance(value, dict):
        return {
            k: _without_purged(v)
            for k, v in value.items()
            if not (isinstance(v, dict) and v.get("purge") is True)
        }
    if isinstance(value, list):
        return [
            _without_purged(v)
            for v in value
            if not (isinstance(v, dict) and v.get("purge") is True)
        ]
    return value
