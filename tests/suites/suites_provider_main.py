"""A provider participant as a process, for the end-to-end tests of `run`:

    python suites_provider_main.py URL MNEMONIC [STATE_FILE [--ack-first]]

With a STATE_FILE it keeps an outbox there: a request is written (and flushed) before it is acked, answered from
the outbox, and what is still in the outbox after a restart is answered then. `--ack-first` acks before writing,
the integrator mistake a crash right after the ack exposes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from suites_participants import REGISTRY, Provider  # noqa: E402

from conformance.bus.client import BusClient  # noqa: E402
from conformance.protocol import model as m  # noqa: E402
from conformance.protocol.xmlfragment import XmlFragment  # noqa: E402
from conformance.registry import Side, make_payload  # noqa: E402


def _write(path: Path, outbox: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as handle:
        json.dump(outbox, handle)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def durable_provider(url: str, mnemonic: str, state: Path, ack_first: bool) -> None:
    client = BusClient(url, sender=mnemonic, timeout=5)
    outbox: dict[str, dict] = json.loads(state.read_text()) if state.exists() else {}
    while True:
        for mid, item in list(outbox.items()):
            answer = m.BusinessAnswer(content=XmlFragment.from_bytes(item["answer"].encode()))
            if client.send_response(item["to"], answer).status == 200:
                del outbox[mid]
                _write(state, outbox)
        reply = client.get_request()
        holder = getattr(reply.message, "message", None)
        if holder is None:
            time.sleep(0.05)
            continue
        request = holder.request
        content = request.data.content.element()
        spec = REGISTRY.by_element(content).spec
        from lxml import etree

        answer_xml = etree.tostring(make_payload(spec, Side.RESPONSE, seed=3, request=content)).decode()
        if ack_first:
            client.ack(request.data.message_id)
        outbox[request.data.message_id] = {"to": request.reply_to, "answer": answer_xml}
        _write(state, outbox)
        if not ack_first:
            client.ack(request.data.message_id)


if __name__ == "__main__":
    url, mnemonic = sys.argv[1], sys.argv[2]
    if len(sys.argv) > 3:
        durable_provider(url, mnemonic, Path(sys.argv[3]), "--ack-first" in sys.argv[4:])
    provider = Provider(url, sender=mnemonic)
    provider.start()
    while True:
        time.sleep(1)
