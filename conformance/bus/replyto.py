"""The `ReplyTo` the bus puts on a request and a provider copies into `To`: opaque to participants.

Real SMEV writes base64 of a small JSON object; the double does the same, so that a participant that parses or
rewrites it (instead of copying it verbatim) is caught, and the bus can route the answer without a lookup table.
"""

from __future__ import annotations

import base64
import binascii
import json


def make_reply_to(request_message_id: str, consumer: str) -> str:
    data = json.dumps({"mid": request_message_id, "mnm": consumer}, separators=(",", ":"), sort_keys=True)
    return base64.b64encode(data.encode("utf-8")).decode("ascii")


def read_reply_to(value: str | None) -> tuple[str, str] | None:
    """(request MessageID, consumer mnemonic) from a `To`, or None when it is not a ReplyTo this bus issued."""
    if not value:
        return None
    try:
        data = json.loads(base64.b64decode(value.strip(), validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("mid"), str) or not isinstance(data.get("mnm"), str):
        return None
    return data["mid"], data["mnm"]
