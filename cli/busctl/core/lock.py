"""The apply lock: a lease kept in a one-partition Kafka topic, decided by replaying its records. Pure.

Every apply appends a `claim` record and then reads the partition up to it. Kafka orders the records
of a partition and stamps each with the broker's clock (the topic uses LogAppendTime), so every reader
replays the same history to the same answer: a claim wins when no lease is running at its timestamp.
The holder appends `renew` records to extend its lease and a `release` record when it is done; a
holder that crashed stops renewing, and its lease ends `ttl_ms` after its last record. Client clocks
play no part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

LOCK_TOPIC = "__busctl_apply_lock"
LOCK_KEY = b"apply"
LOCK_RECORD_VERSION = 1
MAX_TTL_MS = 10 * 60 * 1000  # a record claiming a longer lease is not one busctl wrote: ignored


@dataclass(frozen=True)
class LockRecord:
    """One record of the lock topic, as decoded: what a client did and when the broker appended it."""

    op: str  # claim | renew | release
    claim_id: str
    holder: str  # who, for people: "user@host pid 123 (busctl apply)"
    ttl_ms: int
    timestamp_ms: int
    offset: int

    def encode(self) -> bytes:
        """The record value (timestamp and offset are the broker's)."""
        document = {
            "version": LOCK_RECORD_VERSION,
            "op": self.op,
            "id": self.claim_id,
            "holder": self.holder,
            "ttl_ms": self.ttl_ms,
        }
        return json.dumps(document, sort_keys=True).encode()


def decode(value: bytes | None, timestamp_ms: int, offset: int) -> LockRecord | None:
    """A record of the lock topic, or None for anything that is not a well-formed lock record (such
    a record cannot take or free the lock)."""
    try:
        document = json.loads(value or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, dict) or document.get("version") != LOCK_RECORD_VERSION:
        return None
    op, claim_id, holder, ttl = (document.get(k) for k in ("op", "id", "holder", "ttl_ms"))
    if op not in ("claim", "renew", "release") or not isinstance(claim_id, str) or not claim_id:
        return None
    if not isinstance(holder, str) or not isinstance(ttl, int) or isinstance(ttl, bool):
        return None
    if not 0 < ttl <= MAX_TTL_MS:
        return None
    return LockRecord(op, claim_id, holder, ttl, timestamp_ms, offset)


@dataclass(frozen=True)
class Lease:
    """The running lease: who holds the lock, since when, and until when unless renewed."""

    claim_id: str
    holder: str
    since_ms: int
    expires_ms: int


@dataclass
class LockState:
    """The lock as of the last record replayed."""

    lease: Lease | None = None
    offset: int = -1  # of the last record replayed

    def apply(self, record: LockRecord) -> None:
        """Replay one record (records must come in offset order)."""
        self.offset = record.offset
        lease = self.lease
        if lease is not None and record.timestamp_ms >= lease.expires_ms:
            lease = None  # expired before this record was appended
        expires = record.timestamp_ms + record.ttl_ms
        if record.op == "claim" and lease is None:
            lease = Lease(record.claim_id, record.holder, record.timestamp_ms, expires)
        elif record.op == "renew" and lease is not None and lease.claim_id == record.claim_id:
            lease = Lease(lease.claim_id, lease.holder, lease.since_ms, expires)
        elif record.op == "release" and lease is not None and lease.claim_id == record.claim_id:
            lease = None
        self.lease = lease

    def held_by(self, claim_id: str) -> bool:
        return self.lease is not None and self.lease.claim_id == claim_id
