"""The audit trail (451 §11г): one record per hop of every message, with the simulated time, from which a message's
history can be rebuilt. Kept only when asked for (`audit_path`); written as JSON lines at the end of the run."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

_NODE = 0x5E5E5E5E5E5E  # a fixed, fake node id: the MessageIDs are reproducible from (seed, sequence number)


def message_uuid(seq: int, created: float, salt: int) -> str:
    """A lower-case RFC 4122 version-1 UUID for a simulated message (the protocol's MessageID form), reproducible."""
    ticks = 0x01B21DD213814000 + int(created * 1e7) + seq % 10_000_000  # 100 ns since 1582-10-15, kept unique per seq
    clock_seq = (seq ^ salt) & 0x3FFF
    return str(uuid.UUID(fields=(ticks & 0xFFFFFFFF, (ticks >> 32) & 0xFFFF, ((ticks >> 48) & 0x0FFF) | 0x1000,
                                 0x80 | (clock_seq >> 8), clock_seq & 0xFF, _NODE)))


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
        with self.path.open("w", encoding="utf-8") as out:
            for t, mid, created, kind, type_name, sender, recipient, req, event, where, detail in self.rows:
                row = {"t": round(t, 6), "message_id": message_uuid(mid, created, self.salt), "seq": mid,
                       "kind": kind, "type": type_name, "sender": sender, "recipient": recipient,
                       "event": event, "at": where}
                if req is not None:
                    row["original_message_id"] = message_uuid(req.id, req.created, self.salt)
                if detail:
                    row["detail"] = detail
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
