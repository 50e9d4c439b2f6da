"""The bus double's state in SQLite: queued messages, leases, acks, seen MessageIDs and the status history.

Everything the bus knows lives here, so a bus restarted on the same file carries on where it stopped: messages
not yet acked are delivered again, a MessageID seen before is still refused as already sent.

Queue semantics (SMEV 3 "guaranteed delivery"):
- a message is queued for one recipient (a participant mnemonic) under a queue key (namespace, root local name of
  the business element) and a kind: `request`, `response` or `status`;
- taking a message leases it for `ack_timeout` seconds; until it is acked it is delivered again once the lease ends;
- an Ack removes it from the queue for good (`accepted` is recorded as the recipient said it).

Time is passed in by the caller (seconds since the epoch, float), so tests drive the clock.
One connection guarded by a lock: `ThreadingHTTPServer` calls in from many threads, SQLite serialises writes anyway.

Durability: every change is one SQLite transaction, and `transaction()` joins several into one (the bus records a
SendRequest's MessageID, queues the message and records its status all or nothing). By default a file store syncs
every commit to disk (`synchronous=FULL` in WAL mode): a call the bus has answered survives an OS crash or power
loss. `durability="normal"` (`serve --fast-state`) syncs only at WAL checkpoints: several times faster per call,
still safe against the bus process being killed, but an OS crash may lose the last calls answered.

Size: the file is bounded. The journal keeps at most `journal_budget` bytes of raw bodies (JOURNAL_BUDGET by
default): past it the oldest exchanges are forgotten (SQLite reuses their pages), so that a flood of calls, even
refused ones nobody signed, cannot fill the disk. The queues are bounded by the bus (`BusConfig.max_pending`,
`pending_load`): a recipient that does not ack does not make the file grow for ever.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from conformance.errors import InputError

SCHEMA_VERSION = "1"

JOURNAL_BUDGET = 256 * 1024 * 1024
"""Bytes of raw request and response bodies the journal keeps (the oldest exchanges are dropped past it)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen_ids (
    message_id TEXT PRIMARY KEY,
    sender TEXT NOT NULL,
    operation TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('request', 'response', 'status')),
    version TEXT NOT NULL,
    namespace TEXT NOT NULL,
    root TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    original_message_id TEXT,
    reply_to TEXT,
    payload BLOB NOT NULL,
    enqueued_at REAL NOT NULL,
    leased_until REAL,
    deliveries INTEGER NOT NULL DEFAULT 0,
    first_delivered_at REAL,
    acked_at REAL,
    accepted INTEGER,
    flags TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS messages_queue ON messages (recipient, kind, acked_at, seq);
CREATE TABLE IF NOT EXISTS status_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL,
    category TEXT NOT NULL,
    details TEXT,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS status_by_message ON status_history (message_id, id);
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    caller TEXT,
    rpc TEXT,
    version TEXT,
    message_id TEXT,
    http_status INTEGER NOT NULL,
    fault TEXT,
    request_headers TEXT NOT NULL,
    request_body BLOB NOT NULL,
    response_headers TEXT NOT NULL,
    response_body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS forced_faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rpc TEXT NOT NULL,
    caller TEXT,
    fault TEXT NOT NULL,
    reason TEXT,
    description TEXT,
    remaining INTEGER NOT NULL
);
"""


class Kind(StrEnum):
    """What a queued message is: a request for a provider, a response or a status notification for a consumer."""

    REQUEST = "request"
    RESPONSE = "response"
    STATUS = "status"


@dataclass(frozen=True)
class QueuedMessage:
    """One row of the queue. `payload` is the serialized element the bus delivers (Request, Response, status)."""

    seq: int
    message_id: str
    kind: Kind
    version: str
    namespace: str
    root: str
    sender: str
    recipient: str
    original_message_id: str | None
    reply_to: str | None
    payload: bytes
    enqueued_at: float
    leased_until: float | None
    deliveries: int
    first_delivered_at: float | None
    acked_at: float | None
    accepted: bool | None
    flags: frozenset[str] = frozenset()

    @property
    def queue_name(self) -> str:
        """The queue's readable name, `{namespace}root`, as QueueStatistics reports it."""
        return f"{{{self.namespace}}}{self.root}"


@dataclass(frozen=True)
class StatusEvent:
    message_id: str
    category: str
    details: str | None
    at: float


@dataclass(frozen=True)
class Exchange:
    """One HTTP call to the bus, captured raw (headers as `Name: value` lines)."""

    id: int
    at: float
    caller: str | None
    rpc: str | None
    version: str | None
    message_id: str | None
    http_status: int
    fault: str | None
    request_headers: str
    request_body: bytes
    response_headers: str
    response_body: bytes


@dataclass(frozen=True)
class ForcedFault:
    """A fault the bus answers the next call(s) of `rpc` with (from `caller`, or anyone when None)."""

    id: int
    rpc: str
    caller: str | None
    fault: str
    reason: str | None
    description: str | None
    remaining: int


class AckResult(StrEnum):
    ACKED = "acked"
    NOT_FOUND = "not-found"
    ALREADY_ACKED = "already-acked"


DURABILITY = {"full": "FULL", "normal": "NORMAL"}
"""`BusStore(durability=...)`: SQLite's `synchronous` setting for each choice (see the module docstring)."""


class BusStore:
    """The SQLite store. `path` may be `":memory:"` for a bus that forgets everything when it stops."""

    def __init__(self, path: str | Path = ":memory:", *, durability: str = "full",
                 journal_budget: int | None = JOURNAL_BUDGET):
        if durability not in DURABILITY:
            raise ValueError(f"durability must be one of {', '.join(DURABILITY)}, not {durability!r}")
        self.path = str(path)
        self.durability = durability
        self.journal_budget = journal_budget
        """Bytes of bodies the journal keeps at most (None: no bound)."""
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={DURABILITY[durability]}")
            self._db.executescript(_SCHEMA)
            self._check_schema_version()
            self._journal_bytes = int(self._db.execute(
                "SELECT COALESCE(SUM(length(request_body) + length(response_body)), 0) FROM exchanges").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise InputError(f"cannot use as the bus state database: {exc}", path=self.path) from None

    def _check_schema_version(self) -> None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta (key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row["value"] != SCHEMA_VERSION:
            raise InputError(f"bus state has schema version {row['value']}, this bus reads {SCHEMA_VERSION}",
                             path=self.path)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every store change inside the block one transaction: all of them are committed, or none (an
        exception rolls them all back and propagates). Blocks nest; only the outermost commits."""
        with self._tx():
            yield

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._depth:  # inside an outer transaction: it commits or rolls back for us
                self._depth += 1
                try:
                    yield self._db
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
            except BaseException:
                self._depth = 0
                self._db.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- MessageIDs ------------------------------------------------------------------------------------------------

    def remember_id(self, message_id: str, sender: str, operation: str, at: float) -> bool:
        """Record a sender's MessageID; False when it was seen before (the caller answers MessageIsAlreadySent)."""
        with self._tx() as db:
            cur = db.execute("INSERT OR IGNORE INTO seen_ids (message_id, sender, operation, at) VALUES (?, ?, ?, ?)",
                             (message_id, sender, operation, at))
            return cur.rowcount == 1

    def id_seen(self, message_id: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM seen_ids WHERE message_id = ?", (message_id,)).fetchone() is not None

    # -- queues ----------------------------------------------------------------------------------------------------

    def enqueue(self, *, message_id: str, kind: Kind, version: str, namespace: str, root: str, sender: str,
                recipient: str, payload: bytes, at: float, original_message_id: str | None = None,
                reply_to: str | None = None, flags: frozenset[str] | set[str] = frozenset()) -> int:
        """Queue a message for `recipient`; returns its sequence number."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO messages (message_id, kind, version, namespace, root, sender, recipient,"
                " original_message_id, reply_to, payload, enqueued_at, flags)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (message_id, Kind(kind).value, version, namespace, root, sender, recipient, original_message_id,
                 reply_to, payload, at, ",".join(sorted(flags))))
            return int(cur.lastrowid)

    def end_lease(self, message_id: str) -> bool:
        """Make a delivered, unacked message deliverable again now (a forced redelivery)."""
        with self._tx() as db:
            cur = db.execute("UPDATE messages SET leased_until = NULL WHERE message_id = ? AND acked_at IS NULL",
                             (message_id,))
            return cur.rowcount == 1

    def redeliver(self, message_id: str, flags: frozenset[str] | set[str] = frozenset()) -> bool:
        """Queue an already acked message again under the same MessageID (what a bus does after a failover)."""
        with self._tx() as db:
            cur = db.execute("UPDATE messages SET acked_at = NULL, accepted = NULL, leased_until = NULL, flags = ?"
                             " WHERE message_id = ?", (",".join(sorted(flags)), message_id))
            return cur.rowcount == 1

    def take(self, *, recipient: str, kinds: tuple[Kind, ...], at: float, lease: float,
             namespace: str | None = None, root: str | None = None) -> QueuedMessage | None:
        """Lease the oldest deliverable message for `recipient` of one of `kinds`, optionally of one queue.

        Deliverable: not acked, and never leased or its lease has ended (then it is a redelivery).
        """
        where = ["recipient = ?", "acked_at IS NULL", "(leased_until IS NULL OR leased_until <= ?)",
                 f"kind IN ({', '.join('?' for _ in kinds)})"]
        params: list[object] = [recipient, at, *(Kind(k).value for k in kinds)]
        if namespace is not None:
            where.append("namespace = ?")
            params.append(namespace)
        if root is not None:
            where.append("root = ?")
            params.append(root)
        with self._tx() as db:
            row = db.execute(f"SELECT seq FROM messages WHERE {' AND '.join(where)} ORDER BY seq LIMIT 1",
                             params).fetchone()
            if row is None:
                return None
            db.execute("UPDATE messages SET leased_until = ?, deliveries = deliveries + 1,"
                       " first_delivered_at = COALESCE(first_delivered_at, ?) WHERE seq = ?",
                       (at + lease, at, row["seq"]))
            return self._row(db.execute("SELECT * FROM messages WHERE seq = ?", (row["seq"],)).fetchone())

    def ack(self, *, message_id: str, recipient: str, accepted: bool, at: float) -> tuple[AckResult, QueuedMessage | None]:
        """Ack a message delivered to `recipient`. A message never delivered to it is not found."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM messages WHERE message_id = ? AND recipient = ? AND deliveries > 0",
                             (message_id, recipient)).fetchone()
            if row is None:
                return AckResult.NOT_FOUND, None
            if row["acked_at"] is not None:
                return AckResult.ALREADY_ACKED, self._row(row)
            db.execute("UPDATE messages SET acked_at = ?, accepted = ?, leased_until = NULL WHERE seq = ?",
                       (at, int(accepted), row["seq"]))
            return AckResult.ACKED, self._row(db.execute("SELECT * FROM messages WHERE seq = ?",
                                                         (row["seq"],)).fetchone())

    def get(self, message_id: str) -> QueuedMessage | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM messages WHERE message_id = ?", (message_id,)).fetchone()
            return self._row(row) if row is not None else None

    def find_request(self, message_id: str) -> QueuedMessage | None:
        """The request a response answers (its MessageID is the response's OriginalMessageId)."""
        msg = self.get(message_id)
        return msg if msg is not None and msg.kind is Kind.REQUEST else None

    def messages(self, *, recipient: str | None = None, kind: Kind | None = None) -> list[QueuedMessage]:
        """Every message ever queued (acked ones included), oldest first: the bus's journal."""
        where, params = [], []
        if recipient is not None:
            where.append("recipient = ?")
            params.append(recipient)
        if kind is not None:
            where.append("kind = ?")
            params.append(Kind(kind).value)
        sql = "SELECT * FROM messages" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY seq"
        with self._lock:
            return [self._row(r) for r in self._db.execute(sql, params).fetchall()]

    def pending_counts(self, recipient: str) -> dict[tuple[str, str], int]:
        """Messages not yet acked for `recipient`, per queue (namespace, root)."""
        with self._lock:
            rows = self._db.execute("SELECT namespace, root, COUNT(*) AS n FROM messages WHERE recipient = ?"
                                    " AND acked_at IS NULL GROUP BY namespace, root ORDER BY namespace, root",
                                    (recipient,)).fetchall()
            return {(r["namespace"], r["root"]): int(r["n"]) for r in rows}

    # -- statuses --------------------------------------------------------------------------------------------------

    def record_status(self, message_id: str, category: str, at: float, details: str | None = None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO status_history (message_id, category, details, at) VALUES (?, ?, ?, ?)",
                       (message_id, category, details, at))

    def status_history(self, message_id: str) -> list[StatusEvent]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM status_history WHERE message_id = ? ORDER BY id",
                                    (message_id,)).fetchall()
            return [StatusEvent(r["message_id"], r["category"], r["details"], r["at"]) for r in rows]

    # -- exchanges and forced faults -------------------------------------------------------------------------------

    def record_exchange(self, *, at: float, caller: str | None, rpc: str | None, version: str | None,
                        message_id: str | None, http_status: int, fault: str | None, request_headers: str,
                        request_body: bytes, response_headers: str, response_body: bytes) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO exchanges (at, caller, rpc, version, message_id, http_status, fault, request_headers,"
                " request_body, response_headers, response_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (at, caller, rpc, version, message_id, http_status, fault, request_headers, request_body,
                 response_headers, response_body))
            ident = int(cur.lastrowid)
            self._journal_bytes += len(request_body) + len(response_body)
            self._trim_journal(db, ident)
            return ident

    def _trim_journal(self, db: sqlite3.Connection, newest: int) -> None:
        """Forget the oldest exchanges while the journal holds more than `journal_budget` bytes of bodies (the one
        just recorded always stays, whatever its size). Reads only the rows it drops."""
        if self.journal_budget is None or self._journal_bytes <= self.journal_budget:
            return
        rows = db.execute("SELECT id, length(request_body) + length(response_body) FROM exchanges WHERE id < ?"
                          " ORDER BY id", (newest,))
        drop, last = 0, None
        for ident, size in rows:
            if self._journal_bytes - drop <= self.journal_budget:
                break
            drop, last = drop + int(size), ident
        rows.close()
        if last is not None:
            db.execute("DELETE FROM exchanges WHERE id <= ?", (last,))
            self._journal_bytes -= drop

    def pending_load(self, recipient: str) -> tuple[int, int]:
        """(messages, bytes of payload) queued for `recipient` and not yet acked."""
        with self._lock:
            row = self._db.execute("SELECT COUNT(*), COALESCE(SUM(length(payload)), 0) FROM messages"
                                   " WHERE recipient = ? AND acked_at IS NULL", (recipient,)).fetchone()
            return int(row[0]), int(row[1])

    def exchanges(self, *, after: int = 0, caller: str | None = None, rpc: str | None = None) -> list[Exchange]:
        """Captured calls with id greater than `after`, oldest first."""
        where, params = ["id > ?"], [after]
        if caller is not None:
            where.append("caller = ?")
            params.append(caller)
        if rpc is not None:
            where.append("rpc = ?")
            params.append(rpc)
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM exchanges WHERE {' AND '.join(where)} ORDER BY id",
                                    params).fetchall()
        return [Exchange(r["id"], r["at"], r["caller"], r["rpc"], r["version"], r["message_id"], r["http_status"],
                         r["fault"], r["request_headers"], bytes(r["request_body"]), r["response_headers"],
                         bytes(r["response_body"])) for r in rows]

    def force_fault(self, *, rpc: str, fault: str, caller: str | None = None, reason: str | None = None,
                    description: str | None = None, times: int = 1) -> int:
        with self._tx() as db:
            cur = db.execute("INSERT INTO forced_faults (rpc, caller, fault, reason, description, remaining)"
                             " VALUES (?, ?, ?, ?, ?, ?)", (rpc, caller, fault, reason, description, times))
            return int(cur.lastrowid)

    def clear_forced_faults(self) -> None:
        with self._tx() as db:
            db.execute("UPDATE forced_faults SET remaining = 0")

    def consume_forced_fault(self, rpc: str, caller: str | None) -> ForcedFault | None:
        """The oldest forced fault for this call, counted down by one; None when there is none."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM forced_faults WHERE rpc = ? AND remaining > 0 AND"
                             " (caller IS NULL OR caller = ?) ORDER BY id LIMIT 1", (rpc, caller)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE forced_faults SET remaining = remaining - 1 WHERE id = ?", (row["id"],))
            return ForcedFault(row["id"], row["rpc"], row["caller"], row["fault"], row["reason"],
                               row["description"], row["remaining"] - 1)

    @staticmethod
    def _row(row: sqlite3.Row) -> QueuedMessage:
        return QueuedMessage(
            seq=row["seq"], message_id=row["message_id"], kind=Kind(row["kind"]), version=row["version"],
            namespace=row["namespace"], root=row["root"], sender=row["sender"], recipient=row["recipient"],
            original_message_id=row["original_message_id"], reply_to=row["reply_to"], payload=bytes(row["payload"]),
            enqueued_at=row["enqueued_at"], leased_until=row["leased_until"], deliveries=row["deliveries"],
            first_delivered_at=row["first_delivered_at"], acked_at=row["acked_at"],
            accepted=None if row["accepted"] is None else bool(row["accepted"]),
            flags=frozenset(f for f in row["flags"].split(",") if f))
