"""What the reference provider and consumer share: settings, the bus client, checking the bus's signature, and
retrying a call with backoff."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.bus.client import BusClient, Reply
from conformance.findings import Status
from conformance.reference.identity import ca_certificate, identity
from conformance.reference.journal import State
from conformance.reference.variants import REFERENCE, SignatureFlaw, Variant
from conformance.reference.wire import signing_hook
from conformance.registry import load_registry
from conformance.xmldsig.verifier import VerifyOptions, verify_tree

if TYPE_CHECKING:
    from conformance.crypto import Backend

log = logging.getLogger("conformance.reference")


class Crash(Exception):  # noqa: N818 - it is what it simulates
    """Raised at a test's crash point: the participant stops at once, with no further writes."""


@dataclass(frozen=True)
class Settings:
    """How one reference participant runs. Times in seconds."""

    bus_url: str
    state: str | Path = ":memory:"
    """SQLite file of the participant's durable state (`:memory:`: nothing survives a restart)."""
    variant: Variant = REFERENCE
    version: str = "1.3"
    mnemonic: str | None = None
    """The participant's name; with signatures off it is sent in `X-SMEV-Sender` (else the certificate says it)."""
    signatures: bool = True
    """Sign every call and verify the bus's signatures; False for a bus double run without signatures."""
    identity: str | None = None
    """Name of the shipped credential (`provider`, `consumer`); the expired-certificate twin swaps in `expired`."""
    registry: str | Path | None = None
    poll_interval: float = 0.1
    backoff: float = 1.0
    """The first retry waits this long; each next one twice as long (capped at `max_backoff`)."""
    max_backoff: float = 8.0
    attempts: int = 5
    """Tries of a SendRequest / SendResponse before giving up."""
    timeout: float = 10.0
    """HTTP timeout of one call."""
    backend: Backend | None = None
    """The GOST backend the participant signs and verifies with (`--crypto`); None: the automatic choice."""
    crash_after_ack: bool = False
    """Test hook: stop dead right after the first Ack (a power cut at the worst moment)."""
    citizens: int = 200
    """Seeds per sample type in the provider's registry of citizens."""


def credentials(settings: Settings, default: str):
    """(key, certificate) the participant signs with; the expired-certificate twin uses the expired credential."""
    name = settings.identity or default
    if settings.variant.behaviour.signature is SignatureFlaw.EXPIRED_CERTIFICATE:
        name = "expired"
    ident = identity(name)
    return ident.key, ident.certificate


def make_client(settings: Settings, default_identity: str, default_mnemonic: str) -> BusClient:
    if not settings.signatures:
        return BusClient(settings.bus_url, version=settings.version, sender=settings.mnemonic or default_mnemonic,
                         timeout=settings.timeout)
    key, cert = credentials(settings, default_identity)
    return BusClient(settings.bus_url, version=settings.version, sign=signing_hook(settings.variant.behaviour, key,
                                                                                    cert, settings.backend),
                     timeout=settings.timeout)


def bus_signature_problem(reply: Reply, backend: Backend | None, at: datetime | None = None) -> str | None:
    """Why the signatures on what the bus delivered do not hold (None when they do), judged against the CA the
    reference trusts: the bus's own signature and the sender's inside it."""
    if reply.parsed is None or reply.parsed.envelope is None:
        return "the answer is not an SMEV envelope"
    options = VerifyOptions(trust=(ca_certificate(),), at=at or datetime.now(UTC), diagnose=False, backend=backend)
    failed = [o for o in verify_tree(reply.parsed.envelope, options) if o.status is Status.FAIL]
    if not failed:
        return None
    return "; ".join(f"[{o.rule_id}] {o.message}" for o in failed[:3])


def call(what: str, action: Callable[[], Reply]) -> Reply | None:
    """Run one HTTP call; a transport error (bus down, connection reset) is logged and gives None."""
    try:
        return action()
    except OSError as exc:
        log.warning("%s: the bus is unreachable: %s", what, exc)
        return None


def backoff_delay(settings: Settings, attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (1, 2, ...): exponential from `backoff`, capped."""
    return min(settings.backoff * 2 ** (attempt - 1), settings.max_backoff)


class Participant:
    """What the reference provider and consumer share: settings, the variant's behaviour, the registry, the durable
    state, the bus client, and the two events a harness uses to stop or crash it."""

    def __init__(self, settings: Settings, identity: str, mnemonic: str):
        self.settings = settings
        self.behaviour = settings.variant.behaviour
        self.registry = load_registry(settings.registry)
        self.state = State(settings.state)
        self.client: BusClient = make_client(settings, identity, mnemonic)
        self.stopping = threading.Event()
        """Set when the participant is asked to stop: waits (backoff, delays) end early and retries stop."""
        self.crash_requested = threading.Event()
        """Set by a harness that kills the participant at its Ack: it stops dead once the Ack call returns."""

    def close(self) -> None:
        self.state.close()
