"""A small SMEV 3 client over urllib: what tests and the live suites use to talk to a bus (the double or another).

    client = BusClient(url, version="1.3", sender="MVD")            # sender: the X-SMEV-Sender header (no signatures)
    client = BusClient(url, sign=signing_hook(key, cert))            # or: sign every call as that participant
    reply = client.send_request(payload_element)                     # -> Reply(status, body, parsed, fault)
    reply = client.get_request(); client.ack(message_id)

Every call builds its envelope with the protocol core (`conformance.protocol.build`) and parses the answer with
`conformance.protocol.parse`, so the client never has its own idea of the protocol.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime

from conformance.protocol import ids
from conformance.protocol import model as m
from conformance.protocol.builder import Sign, build
from conformance.protocol.mtom import encode_multipart
from conformance.protocol.namespaces import Version
from conformance.protocol.reader import ParsedMessage, parse
from conformance.protocol.xmlfragment import XmlFragment

SENDER_HEADER = "X-SMEV-Sender"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer. `parsed` is the protocol reading of the body (None when it is not an SMEV envelope)."""

    status: int
    headers: dict[str, str]
    body: bytes
    parsed: ParsedMessage | None = None
    error: str | None = field(default=None)

    @property
    def message(self) -> m.Message | None:
        return self.parsed.message if self.parsed else None

    @property
    def fault(self) -> m.SoapFault | None:
        msg = self.message
        return msg if isinstance(msg, m.SoapFault) else None


class BusClient:
    def __init__(self, url: str, *, version: Version | str = Version.V1_3, sender: str | None = None,
                 sign: Sign | None = None, timeout: float = 30.0, mtom: bool = False):
        self.url = url
        self.version = Version(version)
        self.sender = sender
        self.sign = sign
        self.timeout = timeout
        self.mtom = mtom

    # -- transport ---------------------------------------------------------------------------------------------------

    def post(self, body: bytes, *, content_type: str = "text/xml; charset=utf-8", soap_action: str | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        """POST raw bytes; the answer is parsed when it is an SMEV envelope."""
        all_headers = {"Content-Type": content_type}
        if soap_action is not None:
            all_headers["SOAPAction"] = f'"{soap_action}"'
        if self.sender is not None:
            all_headers[SENDER_HEADER] = self.sender
        all_headers.update(headers or {})
        request = urllib.request.Request(self.url, data=body, headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 - URL given by the user
                status, answer_headers, data = answer.status, dict(answer.headers.items()), answer.read()
        except urllib.error.HTTPError as exc:
            status, answer_headers, data = exc.code, dict(exc.headers.items()), exc.read()
        parsed, error = None, None
        try:
            parsed = parse(data, source=self.url)
        except Exception as exc:  # noqa: BLE001 - a non-SMEV answer is reported, not raised
            error = str(exc)
        return Reply(status, answer_headers, data, parsed, error)

    def call(self, message: m.Message, *, sign: Sign | None = None, parts: dict[str, bytes] | None = None) -> Reply:
        """Build `message` in the client's version, sign it (the client's hook unless given), and POST it."""
        envelope = build(message, self.version, sign=sign or self.sign)
        rpc = message.OPERATION.rpc
        action = rpc.soap_action if rpc else None
        if parts or self.mtom:
            content_type, body = encode_multipart(envelope, parts or {})
            return self.post(body, content_type=content_type, soap_action=action)
        return self.post(envelope, soap_action=action)

    # -- operations --------------------------------------------------------------------------------------------------

    def send_request(self, content: XmlFragment, *, message_id: str | None = None, **fields: object) -> Reply:
        data = m.SenderProvidedRequestData(message_id=message_id or ids.new_message_id(), content=content,
                                           **fields)  # type: ignore[arg-type]
        return self.call(m.SendRequestRequest(data=data))

    def send_response(self, to: str, answer: m.ResponseAnswer, *, message_id: str | None = None) -> Reply:
        data = m.SenderProvidedResponseData(message_id=message_id or ids.new_message_id(), to=to, answer=answer)
        return self.call(m.SendResponseRequest(data=data))

    def _selector(self, namespace: str | None, root: str | None) -> m.MessageTypeSelector:
        return m.MessageTypeSelector(timestamp=datetime.now(UTC), namespace_uri=namespace,
                                     root_element_local_name=root)

    def get_request(self, namespace: str | None = None, root: str | None = None) -> Reply:
        return self.call(m.GetRequestRequest(selector=self._selector(namespace, root)))

    def get_response(self, namespace: str | None = None, root: str | None = None) -> Reply:
        return self.call(m.GetResponseRequest(selector=self._selector(namespace, root)))

    def ack(self, message_id: str, *, accepted: bool = True) -> Reply:
        return self.call(m.AckRequest(target=m.AckTargetMessage(message_id=message_id, accepted=accepted)))

    def get_status(self) -> Reply:
        return self.call(m.GetStatusRequest(timestamp=m.SignedTimestamp(datetime.now(UTC))))

    def queue_statistics(self) -> Reply:
        return self.call(m.GetIncomingQueueStatisticsRequest(timestamp=m.SignedTimestamp(datetime.now(UTC))))
