"""A negative case as data: the valid message it starts from, the mutations applied to it, how it travels, and the
answer the bus must give (a fault, an asynchronous status, an HTTP refusal or a transport error)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.protocol.codes import FaultName, SignatureVerificationReason, StatusCategory
from conformance.protocol.namespaces import Version
from conformance.protocol.operations import Rpc


@dataclass(frozen=True)
class Start:
    """The valid message a case mutates: a sample of `rpc` in `version` of the registry type `type`."""

    rpc: Rpc
    version: Version = Version.V1_3
    type: str | None = None
    """Registry type name; None: the registry's first type."""
    variant: str = "default"
    """A variant of `conformance.protocol.samples` (e.g. `attachments`, `rejected`)."""


@dataclass(frozen=True)
class Step:
    """One mutation: its name in the vocabulary (`conformance.negative.mutations.MUTATIONS`) and its arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    line: int | None = None


@dataclass(frozen=True)
class Transport:
    """How the mutated message travels. Every field None means a plain SOAP 1.1 POST."""

    method: str = "POST"
    content_type: str | None = None
    """Overrides `text/xml; charset=utf-8`."""
    soap_action: str | None = None
    """`none`: leave the header out; another value replaces the operation's action."""
    mime: str | None = None
    """`mtom`: send as multipart/related; `bad-boundary`: multipart whose Content-Type names a boundary the body lacks."""
    drop: str | None = None
    """`mid-request`: close the connection half-way through the body; `mid-answer`: cut the answer half-way."""
    declared_length: int | None = None
    """Announce this Content-Length without sending that many bytes (the bus must refuse it unread)."""


@dataclass(frozen=True)
class Expect:
    """The answer the bus must give. Exactly one of `fault`, `status`, `http`, `transport_error` is set."""

    rule: str
    """The catalogue rule that explains the refusal (`smev-conformance rules`)."""
    fault: FaultName | None = None
    reason: SignatureVerificationReason | None = None
    http: tuple[int, ...] = ()
    """For a fault: the HTTP status it comes with (default 500); alone: the HTTP statuses that count as a refusal."""
    faultcode: str | None = None
    """`Client` or `Server` when the case pins the SOAP faultcode."""
    status: StatusCategory | None = None
    """The asynchronous status the sender then sees (GetStatus)."""
    transport_error: bool = False
    """The client must see a clear error, and the bus must keep serving."""

    @property
    def kind(self) -> str:
        if self.fault is not None:
            return "fault"
        if self.status is not None:
            return "status"
        if self.transport_error:
            return "transport"
        return "http"

    def describe(self) -> str:
        if self.fault is not None:
            text = self.fault.value + (f"/{self.reason.value}" if self.reason else "")
            return f"{text} (HTTP {'|'.join(map(str, self.http or (500,)))})"
        if self.status is not None:
            return f"status {self.status.value}"
        if self.transport_error:
            return "a clear transport error, the bus still serving"
        return f"HTTP refusal {'|'.join(map(str, self.http))}"


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    start: Start
    expect: Expect
    mutations: tuple[Step, ...] = ()
    setup: tuple[str, ...] = ()
    """`deliver`: first have a valid request delivered to the provider (its ReplyTo and MessageID feed the case);
    `ack`: and acked."""
    signer: str | None = "caller"
    """Identity that signs (see `conformance.negative.identities`): `caller` = the operation's usual caller,
    a name (`expired`, `unregistered`, ...), or None: unsigned."""
    transport: Transport = field(default_factory=Transport)
    force: FaultName | None = None
    """Tell the double (its control endpoint) to answer this call with the fault: for faults no message can
    provoke in a test double (quotas, overflow, internal failure). Skipped against a bus without that endpoint."""
    force_reason: str = ""
    xfail: str | None = None
    """Why the bus double is known to answer this case wrongly (the run reports it, and does not fail on it)."""
    line: int | None = None
    """Line of the case in the catalogue file."""
    source: str | None = None
    """The catalogue file the case was read from."""

    @property
    def rpc(self) -> Rpc:
        return self.start.rpc

    @property
    def version(self) -> Version:
        return self.start.version
