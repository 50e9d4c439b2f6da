"""Admission at the bus's first hop: blocking and quotas (697 §6м, §9е) and message counting with bills (§6д, §6ц).

One `Admission` serves every bus: a participant's limits and bill are its own wherever it enters.

With `run.tagged_share` < 1 a participant's background messages (`background[name]`, their send times) draw from the
same token bucket and count towards the same blocking as its tagged ones, in time order: each check first replays
the background sent up to now. Bills count tagged messages only (the simulated sample).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from conformance.protocol.codes import FaultName
from sim.model.message import Msg
from sim.model.world import World

BLOCKED = f"{FaultName.ACCESS_DENIED}:participant-blocked"


class _Account:
    __slots__ = ("quota", "tariff", "tokens", "last", "violations", "blocked_until", "accepted", "background")

    def __init__(self, quota: Any, tariff: Any, background: Any = None) -> None:
        self.quota = quota
        self.tariff = tariff
        self.tokens = float(quota.burst) if quota is not None else 0.0
        self.last = 0.0
        self.violations: deque[float] = deque()
        self.blocked_until = -1.0
        self.accepted = 0
        self.background = background  # a JobStream of the participant's background sends, or None


class Admission:
    def __init__(self, world: World, policies: Any) -> None:
        self.world = world
        self.policies = policies
        self.accounts: dict[str, _Account] = {}
        self.background: dict[str, Any] = {}  # participant -> JobStream of its background sends (set before the run)
        self.senders: dict[str, Any] = {}  # participant -> its endpoint, for those with background sends
        self.background_refused = 0

    def account(self, endpoint: Any) -> _Account | None:
        acc = self.accounts.get(endpoint.name)
        if acc is None:
            spec = getattr(endpoint, "spec", None)
            if spec is None:  # the portal and the buses' relays are not limited
                return None
            acc = self.accounts[endpoint.name] = _Account(self.policies.quota_for(spec), self.policies.tariff_for(spec),
                                                          self.background.get(endpoint.name))
        if acc.background is not None:
            self._replay(acc, endpoint.name, self.world.now)
        return acc

    def _replay(self, acc: _Account, name: str, now: float) -> None:
        """The participant's background messages sent up to `now`, through its blocking and token bucket."""
        due = acc.background.due(now)
        if due is None:
            return
        q = acc.quota
        rate, burst = q.rate, float(q.burst)
        tokens, last = acc.tokens, acc.last
        for t in due[0]:
            if t < acc.blocked_until:
                self.background_refused += 1
                continue
            if rate is None:
                continue
            tokens += (t - last) * rate
            if tokens > burst:
                tokens = burst
            last = t
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                self.background_refused += 1
                acc.tokens, acc.last = tokens, last
                self._violation(acc, None, FaultName.QUOTE_LIMIT_EXCEEDED, name, t)
        acc.tokens, acc.last = tokens, last

    def refusal(self, msg: Msg) -> str | None:
        """Checked before anything else: a blocked participant's messages are refused outright."""
        acc = self.account(msg.sender)
        if acc is None:
            return None
        if self.world.now < acc.blocked_until:
            return BLOCKED
        q = acc.quota
        if q is not None and q.max_message_size is not None and msg.size > q.max_message_size:
            return self._violation(acc, msg, FaultName.ATTACHMENT_SIZE_LIMIT_EXCEEDED, msg.sender.name, self.world.now)
        return None

    def quota(self, msg: Msg) -> str | None:
        """The rate limit: a token bucket of `burst` tokens refilled at `rate`; over it, QuoteLimitExceeded."""
        acc = self.account(msg.sender)
        if acc is None or acc.quota is None or acc.quota.rate is None:
            return None
        q = acc.quota
        now = self.world.now
        acc.tokens = min(float(q.burst), acc.tokens + (now - acc.last) * q.rate)
        acc.last = now
        if acc.tokens >= 1.0:
            acc.tokens -= 1.0
            return None
        return self._violation(acc, msg, FaultName.QUOTE_LIMIT_EXCEEDED, msg.sender.name, now)

    def _violation(self, acc: _Account, msg: Msg | None, fault: str, name: str, now: float) -> str:
        """A refusal at `now` (of `msg`, or of a background message): counts towards blocking the sender."""
        q = acc.quota
        if q.block_after is not None:
            acc.violations.append(now)
            while acc.violations and acc.violations[0] < now - q.block_window:
                acc.violations.popleft()
            if len(acc.violations) >= q.block_after:
                acc.blocked_until = now + q.block_for
                acc.violations.clear()
                self.world.collector.participant_blocked(name, now)
                self.world.count("blockings")
                if msg is not None:
                    self.world.audit.record(now, msg, "sender-blocked", "admission", f"until {acc.blocked_until:.3f}")
        return str(fault)

    def bill(self, msg: Msg) -> None:
        acc = self.account(msg.sender)
        if acc is not None:
            acc.accepted += 1

    def close_books(self) -> None:
        """Report each participant's count and bill (697 §6д, §6ц) once, at the end (the background replayed up to
        the end first: blockings it causes are counted)."""
        for endpoint in self.senders.values():
            self.account(endpoint)  # replays its background to the end (now is the horizon)
        if self.background_refused:
            self.world.count("background.refused_quota", self.background_refused)
        for name, acc in sorted(self.accounts.items()):
            if acc.accepted == 0:
                continue
            amount = 0.0
            if acc.tariff is not None:
                amount = max(acc.accepted - acc.tariff.free_messages, 0) * acc.tariff.price
            self.world.collector.billed(name, acc.accepted, amount)
