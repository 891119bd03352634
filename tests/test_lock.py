"""The apply lock's replay (core/lock.py): who holds the lease after any sequence of records."""

from __future__ import annotations

from busctl.core.lock import LockRecord, LockState, decode

TTL = 30_000


def _replay(*records: tuple[str, str, int]) -> LockState:
    """Records as (op, claim id, broker timestamp ms), at consecutive offsets."""
    state = LockState()
    for offset, (op, claim, at) in enumerate(records):
        state.apply(LockRecord(op, claim, f"holder-{claim}", TTL, at, offset))
    return state


def test_first_claim_wins_and_a_later_claim_loses_while_the_lease_runs() -> None:
    state = _replay(("claim", "a", 1_000), ("claim", "b", 2_000))
    assert state.held_by("a") and not state.held_by("b")
    assert state.lease is not None and state.lease.holder == "holder-a" and state.lease.since_ms == 1_000


def test_release_frees_the_lock_for_the_next_claim() -> None:
    state = _replay(
        ("claim", "a", 1_000), ("claim", "b", 2_000), ("release", "a", 3_000), ("claim", "b", 3_001)
    )
    assert state.held_by("b")


def test_a_lease_that_is_not_renewed_expires_by_broker_time() -> None:
    just_before = _replay(("claim", "a", 1_000), ("claim", "b", 1_000 + TTL - 1))
    assert just_before.held_by("a")
    at_expiry = _replay(("claim", "a", 1_000), ("claim", "b", 1_000 + TTL))
    assert at_expiry.held_by("b")


def test_renewals_extend_the_lease_and_keep_its_start() -> None:
    state = _replay(("claim", "a", 0), ("renew", "a", 20_000), ("renew", "a", 40_000), ("claim", "b", 65_000))
    assert state.held_by("a")
    assert state.lease is not None and state.lease.since_ms == 0 and state.lease.expires_ms == 40_000 + TTL


def test_a_holder_that_renews_too_late_has_lost_the_lock() -> None:
    state = _replay(("claim", "a", 0), ("claim", "b", TTL + 5), ("renew", "a", TTL + 10))
    assert state.held_by("b") and not state.held_by("a")


def test_release_or_renew_by_someone_else_changes_nothing() -> None:
    state = _replay(("claim", "a", 0), ("release", "b", 10), ("renew", "b", 20), ("claim", "b", 30))
    assert state.held_by("a")


def test_a_renewal_after_expiry_does_not_revive_the_lease() -> None:
    state = _replay(("claim", "a", 0), ("renew", "a", TTL + 1), ("claim", "b", TTL + 2))
    assert state.held_by("b")


def test_garbage_records_are_ignored() -> None:
    good = LockRecord("claim", "a", "me", TTL, 0, 0).encode()
    assert decode(good, 5, 7) == LockRecord("claim", "a", "me", TTL, 5, 7)
    for bad in (
        None,
        b"",
        b"not json",
        b"[]",
        b'{"version": 2, "op": "claim", "id": "a", "holder": "x", "ttl_ms": 1}',
        b'{"version": 1, "op": "steal", "id": "a", "holder": "x", "ttl_ms": 1}',
        b'{"version": 1, "op": "claim", "id": "", "holder": "x", "ttl_ms": 1}',
        b'{"version": 1, "op": "claim", "id": "a", "holder": "x", "ttl_ms": 0}',
        b'{"version": 1, "op": "claim", "id": "a", "holder": "x", "ttl_ms": true}',
        b'{"version": 1, "op": "claim", "id": "a", "holder": "x", "ttl_ms": 1000000000000000000}',
        b"\xff\xfe",
    ):
        assert decode(bad, 0, 0) is None, bad
