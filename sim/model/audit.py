"""The audit trail (451 §11г): one record per hop of every message, with the simulated time, from which a message's
history can be rebuilt. Kept only when asked for (`audit_path`); written as JSON lines at the end of the run."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conformance.protocol.ids import new_message_id

SIM_EPOCH = datetime(2026, 1, 12, tzinfo=UTC)
"""The wall-clock date that simulated time 0 stands for in MessageIDs (a Monday)."""


def message_uuid(seq: int, created: float, salt: int) -> str:
    """The MessageID of simulated message `seq`: a lower-case version-1 UUID whose time is its creation time,
    reproducible from the replication's salt."""
    return new_message_id(SIM_EPOCH + timedelta(seconds=created), rng=random.Random(salt * 1_000_003 + seq))


class Audit:
    """Collects hop records; `record` is a no-op when disabled so that the model can call it unconditionally."""

    def __init__(self, path: str | Path | None, salt: int) -> None:
        self.path = Path(path) if path is not None else None
        self.enabled = path is not None
        self.salt = salt
        self.rows: list[tuple] = []

    def record(self, t: float, msg: Any, event: str, where: str, detail: str = "") -> None:
        if self.enabled:
            self.rows.append((t, msg.id, msg.created, msg.kind, msg.type, msg.sender.name, msg.recipient.name,
                              msg.request, event, where, detail))

    def write(self) -> None:
        if not self.enabled or self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ids: dict[int, str] = {}

        def message_id(seq: int, created: float) -> str:
            known = ids.get(seq)
            if known is None:
                known = ids[seq] = message_uuid(seq, created, self.salt)
            return known

        with self.path.open("w", encoding="utf-8") as out:
            for t, seq, created, kind, type_name, sender, recipient, req, event, where, detail in self.rows:
                row = {"t": round(t, 6), "message_id": message_id(seq, created), "seq": seq,
                       "kind": kind, "type": type_name, "sender": sender, "recipient": recipient,
                       "event": event, "at": where}
                if req is not None:
                    row["original_message_id"] = message_id(req.id, req.created)
                if detail:
                    row["detail"] = detail
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
