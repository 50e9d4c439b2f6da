"""The reference participant's durable state (SQLite): the provider's journal and outbox, the consumer's book.

Provider: every request it accepted, with its answer, is committed before the ack (state `processed`); once the
bus took the answer the state becomes `answered`. A redelivered MessageID finds its row, so it is acked again but
not answered twice; a row still `processed` is an answer to send (the outbox: after a fault, at its next attempt
time; after a restart, at once), `failed` once its attempts are spent. Deliveries refused
for a bad bus signature are kept apart (`refusals`) and never processed. `inquiries` is the audit of real requests
about citizens: a TestMessage leaves it untouched.

Consumer: every request it sent and what became of it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS journal (
    message_id TEXT PRIMARY KEY, type TEXT NOT NULL, reply_to TEXT, test_message INTEGER NOT NULL,
    answer BLOB NOT NULL, state TEXT NOT NULL, deliveries INTEGER NOT NULL DEFAULT 1,
    response_message_id TEXT, received_at REAL NOT NULL, answered_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS refusals (message_id TEXT NOT NULL, at REAL NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inquiries (message_id TEXT NOT NULL, type TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sent (
    message_id TEXT PRIMARY KEY, type TEXT NOT NULL, attempt_of TEXT, state TEXT NOT NULL, sent_at REAL NOT NULL,
    outcome TEXT, detail TEXT, response BLOB, finished_at REAL
);
CREATE TABLE IF NOT EXISTS received (message_id TEXT PRIMARY KEY, original_message_id TEXT, kind TEXT NOT NULL,
    accepted INTEGER NOT NULL, at REAL NOT NULL);
"""


@dataclass(frozen=True)
class JournalEntry:
    message_id: str
    type: str
    reply_to: str | None
    test_message: bool
    answer: bytes
    state: str
    deliveries: int
    response_message_id: str | None
    attempts: int = 0
    next_attempt: float = 0.0


_ENTRY_COLUMNS = ("message_id, type, reply_to, test_message, answer, state, deliveries, response_message_id, "
                  "attempts, next_attempt")


class State:
    """One SQLite database (a file, or `:memory:`); safe to share between threads of one participant."""

    def __init__(self, path: str | Path = ":memory:"):
        self.path = str(path)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL" if self.path != ":memory:" else "PRAGMA journal_mode=MEMORY")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)
        self.lock = threading.RLock()

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def _write(self, sql: str, args: tuple) -> None:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute(sql, args)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # -- provider ------------------------------------------------------------------------------------------------

    def find(self, message_id: str) -> JournalEntry | None:
        with self.lock:
            row = self.db.execute(f"SELECT {_ENTRY_COLUMNS} FROM journal WHERE message_id = ?",
                                  (message_id,)).fetchone()
        return JournalEntry(row[0], row[1], row[2], bool(row[3]), *row[4:]) if row else None

    def record_processed(self, message_id: str, type_name: str, reply_to: str | None, test_message: bool,
                         answer: bytes) -> None:
        """Commit a request and its answer (durable before the ack); a real request is also audited."""
        now = time.time()
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.db.execute("INSERT INTO journal (message_id, type, reply_to, test_message, answer, state, "
                                "received_at) VALUES (?, ?, ?, ?, ?, 'processed', ?) ON CONFLICT(message_id) DO "
                                "UPDATE SET deliveries = deliveries + 1",
                                (message_id, type_name, reply_to, int(test_message), answer, now))
                if not test_message:
                    self.db.execute("INSERT INTO inquiries (message_id, type, at) VALUES (?, ?, ?)",
                                    (message_id, type_name, now))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def count_delivery(self, message_id: str) -> None:
        self._write("UPDATE journal SET deliveries = deliveries + 1 WHERE message_id = ?", (message_id,))

    def mark_answered(self, message_id: str, response_message_id: str) -> None:
        self._write("UPDATE journal SET state = 'answered', response_message_id = ?, answered_at = ? "
                    "WHERE message_id = ?", (response_message_id, time.time(), message_id))

    def attempt_failed(self, message_id: str, next_attempt: float | None) -> None:
        """Count a refused SendResponse; `next_attempt` None: no more tries (the row becomes `failed`)."""
        self._write("UPDATE journal SET attempts = attempts + 1, next_attempt = COALESCE(?, next_attempt), "
                    "state = CASE WHEN ? IS NULL THEN 'failed' ELSE state END WHERE message_id = ?",
                    (next_attempt, next_attempt, message_id))

    def outbox(self, due_at: float | None = None) -> list[JournalEntry]:
        """Requests committed but not yet answered (a refused answer waiting for its next attempt, or one the
        process did not get to send before it stopped); with `due_at`, only those due by then."""
        with self.lock:
            ids = [r[0] for r in self.db.execute(
                "SELECT message_id FROM journal WHERE state = 'processed' AND next_attempt <= ? ORDER BY received_at",
                (float("inf") if due_at is None else due_at,))]
        return [entry for entry in (self.find(i) for i in ids) if entry is not None]

    def record_refusal(self, message_id: str, reason: str) -> None:
        self._write("INSERT INTO refusals (message_id, at, reason) VALUES (?, ?, ?)", (message_id, time.time(),
                                                                                       reason))

    def refusals(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(r[0], r[1]) for r in self.db.execute("SELECT message_id, reason FROM refusals ORDER BY at")]

    def inquiry_count(self) -> int:
        with self.lock:
            return self.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]

    def journal(self) -> list[JournalEntry]:
        with self.lock:
            ids = [r[0] for r in self.db.execute("SELECT message_id FROM journal ORDER BY received_at")]
        return [entry for entry in (self.find(i) for i in ids) if entry is not None]

    # -- consumer ------------------------------------------------------------------------------------------------

    def record_sent(self, message_id: str, type_name: str, attempt_of: str | None, state: str,
                    detail: str | None = None) -> None:
        self._write("INSERT OR REPLACE INTO sent (message_id, type, attempt_of, state, sent_at, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (message_id, type_name, attempt_of, state, time.time(), detail))

    def finish(self, message_id: str, state: str, outcome: str, detail: str | None,
               response: bytes | None = None) -> None:
        self._write("UPDATE sent SET state = ?, outcome = ?, detail = ?, response = ?, finished_at = ? "
                    "WHERE message_id = ?", (state, outcome, detail, response, time.time(), message_id))

    def sent(self, message_id: str) -> dict | None:
        with self.lock:
            cursor = self.db.execute("SELECT * FROM sent WHERE message_id = ?", (message_id,))
            row = cursor.fetchone()
            names = [d[0] for d in cursor.description]
        return dict(zip(names, row, strict=True)) if row else None

    def record_received(self, message_id: str, original_message_id: str | None, kind: str, accepted: bool) -> bool:
        """False when this message was received before (a redelivery)."""
        with self.lock:
            cursor = self.db.execute("INSERT OR IGNORE INTO received VALUES (?, ?, ?, ?, ?)",
                                     (message_id, original_message_id, kind, int(accepted), time.time()))
            return cursor.rowcount == 1
