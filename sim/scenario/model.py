"""A validated scenario: frozen dataclasses, every quantity in SI.

Seconds as float, sizes in bytes as int, rates in events per second, bandwidth in bits per second, shares as
fractions in [0, 1]. Random quantities are `Distribution` objects (see `sim.scenario.distributions`).
Objects here are built only by the loader (`sim.scenario.load`), which guarantees every cross-reference resolves:
a participant's data centre or region exists, a message type's provider and consumers exist, a fault's target exists,
an SLO's metric is known. The model can therefore index without checking.

Names share one namespace per kind: data centres and regions together (they are the network's nodes), participants
and participant groups together (a group name stands for all its members wherever a participant may be named).
The reserved participant name `portal` is the Unified Portal acting as a consumer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sim.scenario.distributions import Distribution

PORTAL = "portal"
"""The participant name of the Unified Portal (EPGU) when it consumes message types."""

ParticipantKind = Literal["federal-agency", "regional-body", "municipality", "mfc", "fund", "bank"]
PARTICIPANT_KINDS: tuple[str, ...] = ("federal-agency", "regional-body", "municipality", "mfc", "fund", "bank")
REGIONAL_KINDS: tuple[str, ...] = ("regional-body", "municipality", "mfc")
"""Kinds that may route through their regional bus (451 §9); the others always use the federal bus."""
Role = Literal["provider", "consumer", "both"]


# --- topology ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DataCentre:
    """A data centre of the infrastructure operator. `bus_nodes` bus nodes run here; losing it takes them down."""

    name: str
    bus_nodes: int


@dataclass(frozen=True)
class Link:
    """A bidirectional network link between two network nodes (data centres or regions)."""

    a: str
    b: str
    latency: Distribution  # one-way, seconds
    bandwidth: float  # bits per second
    loss: float  # probability a transmission is lost (the sender's retry covers it)

    @property
    def ends(self) -> frozenset[str]:
        return frozenset((self.a, self.b))


@dataclass(frozen=True)
class Bus:
    """The federal bus (SMEV): nodes in each data centre (counts in `DataCentre.bus_nodes`).

    `ingress_time` is one message's time in the ingress pipeline on a node (signature, schema, access matrix, quota;
    a CRL fetch from the CA on a cache miss comes on top); `delivery_time` is serving one poll (Get...Request) or Ack.
    Each node serves `node_concurrency` messages at once. `queue_capacity` bounds each per-type queue (None: unbounded).
    """

    node_concurrency: int
    ingress_time: Distribution
    delivery_time: Distribution
    queue_capacity: int | None


@dataclass(frozen=True)
class Portal:
    """The Unified Portal (EPGU), active in `data_centres`.

    When ESIA is down no new logins happen; applications that need a login then `wait` (up to `esia_wait_limit`,
    then are refused) or are `refuse`d at once, as the scenario says.
    """

    data_centres: tuple[str, ...]
    concurrency: int
    service_time: Distribution
    on_esia_down: Literal["wait", "refuse"]
    esia_wait_limit: float


@dataclass(frozen=True)
class Esia:
    """The identity service: a login takes `login_time` on one of `concurrency` slots; a session lasts `session_lifetime`."""

    data_centres: tuple[str, ...]
    concurrency: int
    login_time: Distribution
    session_lifetime: float


@dataclass(frozen=True)
class CertificationAuthority:
    """The head CA's CRL/OCSP service. The bus caches a fetched CRL for `crl_cache_lifetime`; while the CA is down a
    signature can be checked only with a cached CRL that is still valid."""

    data_centre: str
    response_time: Distribution
    crl_cache_lifetime: float


@dataclass(frozen=True)
class RegionalBus:
    """A region's own interaction system (RSMEV, 451 §9-10)."""

    concurrency: int
    ingress_time: Distribution
    delivery_time: Distribution


@dataclass(frozen=True)
class Region:
    """A subject of the federation. `code` is its number (used in generated participant names).

    The region connects to the federal bus through links to each of `uplinks` (data centres); those links are in
    `Topology.links`. `regional_bus` is None when the region has none (its bodies then use the federal bus only).
    """

    name: str
    code: int
    uplinks: tuple[str, ...]
    regional_bus: RegionalBus | None


@dataclass(frozen=True)
class Participant:
    """One participant information system (an agency, body, MFC, fund or bank).

    Exactly one of `data_centre` / `region` is set: where it is attached to the network.
    `via_regional_share` is the fraction of its traffic sent through its region's regional bus instead of the federal
    bus (451 §9); always 0 for kinds outside `REGIONAL_KINDS` and for regions without a regional bus.
    It polls the bus every `polling_interval`, processes a received request in `processing_time` with at most
    `concurrency` at once (a message type may override the processing time), and is up a share `availability` of the
    time, in outages of mean length `mean_outage`.
    """

    name: str
    kind: str
    group: str  # the name it was declared under (== name for a single participant)
    data_centre: str | None
    region: str | None
    role: Role
    polling_interval: float
    processing_time: Distribution
    concurrency: int
    availability: float
    mean_outage: float
    via_regional_share: float

    @property
    def provides(self) -> bool:
        return self.role in ("provider", "both")

    @property
    def consumes(self) -> bool:
        return self.role in ("consumer", "both")


@dataclass(frozen=True)
class ParticipantGroup:
    """A declaration of one participant (`count == 1`, `per_region` False, member named as the group) or of many.

    Members are generated on demand, deterministically: placed in a data centre they are `NAME-001`, `NAME-002`...;
    placed in regions with `per_region` they are `NAME-<region code, 2 digits>-<index, 3 digits>` (e.g.
    `municipality-17-003`), `count` per region, regions in declaration order.
    """

    name: str
    template: Participant
    count: int
    regions: tuple[Region, ...]  # empty when placed in a data centre
    per_region: bool
    single: bool

    def __len__(self) -> int:
        return self.count * len(self.regions) if self.per_region else self.count

    def member(self, index: int) -> Participant:
        """The `index`-th member (0-based), built on demand."""
        if not 0 <= index < len(self):
            raise IndexError(index)
        if self.single:
            return self.template
        if self.per_region:
            region = self.regions[index // self.count]
            return replace(self.template, name=f"{self.name}-{region.code:02d}-{index % self.count + 1:03d}",
                           region=region.name, data_centre=None,
                           via_regional_share=self.template.via_regional_share if region.regional_bus else 0.0)
        if self.regions:  # a fixed count spread round-robin over the listed regions
            region = self.regions[index % len(self.regions)]
            return replace(self.template, name=f"{self.name}-{index + 1:03d}", region=region.name, data_centre=None,
                           via_regional_share=self.template.via_regional_share if region.regional_bus else 0.0)
        return replace(self.template, name=f"{self.name}-{index + 1:03d}")

    def __iter__(self) -> Iterator[Participant]:
        return (self.member(i) for i in range(len(self)))


@dataclass(frozen=True)
class Participants:
    """All participants, by group, expanded lazily. `len()` is the number of participants, not groups."""

    groups: Mapping[str, ParticipantGroup]

    def __len__(self) -> int:
        return sum(len(g) for g in self.groups.values())

    def __iter__(self) -> Iterator[Participant]:
        for group in self.groups.values():
            yield from group

    def members(self, name: str) -> Iterator[Participant]:
        """Every participant a name stands for: a group's members, or the single participant."""
        return iter(self.groups[name]) if name in self.groups else iter((self.get(name),))

    def get(self, name: str) -> Participant:
        """A participant by its (possibly generated) name. Raises KeyError."""
        group = self.groups.get(name)
        if group is not None and group.single:
            return group.template
        for group in self.groups.values():
            if not group.single and name.startswith(group.name + "-"):
                for member in group:  # cheap enough: called rarely, never per message
                    if member.name == name:
                        return member
        raise KeyError(name)

    def group_of(self, name: str) -> str:
        return self.get(name).group


@dataclass(frozen=True)
class Topology:
    data_centres: Mapping[str, DataCentre]
    links: tuple[Link, ...]  # includes every region's uplinks
    bus: Bus
    portal: Portal
    esia: Esia
    ca: CertificationAuthority
    regions: Mapping[str, Region]
    participants: Participants

    def link(self, a: str, b: str) -> Link | None:
        ends = frozenset((a, b))
        return next((link for link in self.links if link.ends == ends), None)


# --- message types -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MessageType:
    """A registered message type (VS).

    `provider` is a participant or a group name; for a group, a request goes to the member in the consumer's region
    when there is one, else to a member chosen uniformly. `consumers` are participant/group names allowed to request
    it (the access matrix), or `("*",)` for anyone. A `broadcast` type has no answer: the provider publishes it and
    the bus delivers a copy to each of `subscribers`. `processing_time`, when set, overrides the provider's.
    `ttl` overrides the policy's (the message's end of life). A share `cannot_provide` of the requests is answered
    with a refusal, "cannot provide" (963 §4): an answer all the same, after the same processing.
    """

    name: str
    provider: str
    consumers: tuple[str, ...]
    realtime: bool
    payload_size: Distribution  # bytes, request
    answer_size: Distribution  # bytes, response
    attachment_size: Distribution | None  # bytes; None: never has attachments
    attachment_share: float  # fraction of requests that carry an attachment
    processing_time: Distribution | None
    ttl: float | None
    broadcast: bool
    subscribers: tuple[str, ...]
    cannot_provide: float = 0.0

    def allows_any_consumer(self) -> bool:
        return "*" in self.consumers


# --- workload ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DailyProfile:
    """A rate multiplier over the day: a step function, `points[i] = (second, factor)` holds until the next point;
    the first point is at 0. Simulation time `t` maps to second `t % 86400` of the profile. The loader has already
    shifted the points written in the file (times of day) by `run.start_of_day`, so second 0 here is the moment
    the run starts."""

    name: str
    points: tuple[tuple[float, float], ...]

    def factor(self, t: float) -> float:
        second = t % 86400.0
        current = self.points[0][1]
        for start, value in self.points:
            if start > second:
                break
            current = value
        return current

    @property
    def max_factor(self) -> float:
        return max(v for _, v in self.points)

    @property
    def mean_factor(self) -> float:
        ends = [s for s, _ in self.points[1:]] + [86400.0]
        return sum((end - start) * v for (start, v), end in zip(self.points, ends, strict=True)) / 86400.0


@dataclass(frozen=True)
class Burst:
    """From `start` for `duration`, the rate of `flows` (empty: every flow and the portal) is multiplied by `factor`."""

    name: str
    start: float
    duration: float
    factor: float
    flows: tuple[str, ...]


@dataclass(frozen=True)
class Flow:
    """Requests of one message type from a consumer (participant or group: `rate` is the group's total).

    `interarrival` is None for a Poisson process; otherwise the gaps between requests at the base rate follow it
    (e.g. const for deterministic arrivals) and `rate == 1 / interarrival.mean`.
    Rates are before `run.traffic_scale` and before the profile/bursts. `channel` is `bus` for a request through the
    bus to the provider's system, `datamart` for a request answered by the provider's data mart through its SMEV
    agent (no provider processing queue). For a broadcast type, the consumer is the publisher.
    """

    name: str
    consumer: str
    message_type: str
    rate: float
    interarrival: Distribution | None
    profile: str | None
    channel: Literal["bus", "datamart"]
    start: float
    end: float | None


@dataclass(frozen=True)
class PortalService:
    """A state service applied for on the portal: `share` of applications; it fans out into `steps` sent in order,
    each step a tuple of message types requested in parallel, the next step starting when all its answers are in.
    `sender` sends them: the portal itself (`portal`) or the participant/group that serves the application."""

    name: str
    share: float
    sender: str
    steps: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class PortalWorkload:
    """Applications submitted on the portal at `rate` (times profile and bursts); a share `login_share` of them
    needs a new ESIA login (the rest reuse a session)."""

    rate: float
    profile: str | None
    login_share: float
    services: tuple[PortalService, ...]


@dataclass(frozen=True)
class Workload:
    flows: tuple[Flow, ...]
    portal: PortalWorkload | None
    profiles: Mapping[str, DailyProfile]
    bursts: tuple[Burst, ...]


# --- policies ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    """A sender's retries after a failed send (timeout, lost transmission, bus unavailable): the n-th retry waits
    `min(initial * multiplier**(n-1), max_backoff)`, times a uniform factor in [1 - jitter, 1 + jitter]."""

    max_attempts: int  # including the first
    initial: float
    multiplier: float
    max_backoff: float
    jitter: float
    timeout: float  # a send with no reply within this is retried


@dataclass(frozen=True)
class Quota:
    """Limits of one participant (697 §6м, §9е). `rate` with bucket `burst`; `max_message_size` in bytes; over a
    limit the message is rejected; `block_after` rejections within `block_window` block the participant for
    `block_for` (None: never blocks)."""

    rate: float | None
    burst: int
    max_message_size: int | None
    block_after: int | None
    block_window: float
    block_for: float


@dataclass(frozen=True)
class Tariff:
    """A price per message (697 §6д, §6ц), after `free_messages` free ones per run."""

    price: float
    free_messages: int


@dataclass(frozen=True)
class Policies:
    ttl: float  # end of life of an asynchronous message
    realtime_ttl: float  # end of life of a real-time message
    ack_timeout: float  # a delivered message not acked within this is redelivered
    max_redeliveries: int
    retry: RetryPolicy
    replication_factor: int  # copies of each queued message, in distinct data centres
    failover_detection: float  # time for clients to notice a lost data centre / node and switch
    fragmentation_threshold: int  # bytes; larger messages travel as fragments of `fragment_size`
    fragment_size: int
    quotas: Mapping[str, Quota]  # by participant, group or kind name; see Policies.quota_for
    default_quota: Quota | None
    tariffs: Mapping[str, Tariff]  # by participant, group or kind name
    default_tariff: Tariff | None
    currency: str

    def quota_for(self, participant: Participant) -> Quota | None:
        """Most specific first: the participant, its group, its kind, then the default."""
        for key in (participant.name, participant.group, participant.kind):
            if key in self.quotas:
                return self.quotas[key]
        return self.default_quota

    def tariff_for(self, participant: Participant) -> Tariff | None:
        for key in (participant.name, participant.group, participant.kind):
            if key in self.tariffs:
                return self.tariffs[key]
        return self.default_tariff


# --- faults ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fault:
    """A fault on the timeline, active in [start, end). `end` is None when it lasts to the end of the run.
    Subclasses say what fails; `kind` is the YAML spelling."""

    name: str
    start: float
    end: float | None

    kind = "fault"

    def active(self, t: float) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


@dataclass(frozen=True)
class DataCentreLoss(Fault):
    data_centre: str
    kind = "data-centre-loss"


@dataclass(frozen=True)
class LinkDown(Fault):
    a: str
    b: str
    kind = "link-down"


@dataclass(frozen=True)
class LinkDegraded(Fault):
    """The link's latency gets `extra_latency` added, its loss becomes `loss`, its bandwidth times `bandwidth_factor`."""

    a: str
    b: str
    extra_latency: Distribution
    loss: float
    bandwidth_factor: float
    kind = "link-degraded"


@dataclass(frozen=True)
class Partition(Fault):
    """The network splits: no traffic between nodes (data centres / regions) on different sides. Nodes not listed
    stay with the first side."""

    sides: tuple[tuple[str, ...], ...]
    kind = "partition"


@dataclass(frozen=True)
class BusNodeCrash(Fault):
    data_centre: str
    nodes: int
    kind = "bus-node-crash"


@dataclass(frozen=True)
class ParticipantDown(Fault):
    participant: str  # participant or group name
    kind = "participant-down"


@dataclass(frozen=True)
class ParticipantSlow(Fault):
    participant: str
    factor: float  # processing times multiplied by this
    kind = "participant-slow"


@dataclass(frozen=True)
class ParticipantMisbehaving(Fault):
    """The participant sends a `share` of its messages with `behaviour` = bad-signature | schema-violation |
    unauthorised (a type it may not consume), or for `flood` sends extra requests of `message_type` at `rate`."""

    participant: str
    behaviour: Literal["bad-signature", "schema-violation", "unauthorised", "flood"]
    share: float
    rate: float
    message_type: str | None
    kind = "participant-misbehaving"


@dataclass(frozen=True)
class EsiaDown(Fault):
    kind = "esia-down"


@dataclass(frozen=True)
class CaDown(Fault):
    kind = "ca-down"


# --- SLOs and the run --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slo:
    """`metric op threshold`, the threshold in the metric's SI unit; `text` is the assertion as written."""

    name: str
    metric: str
    op: Literal["<=", "<", ">=", ">", "=="]
    threshold: float
    text: str

    def holds(self, value: float) -> bool:
        return {
            "<=": value <= self.threshold, "<": value < self.threshold, ">=": value >= self.threshold,
            ">": value > self.threshold, "==": value == self.threshold,
        }[self.op]


@dataclass(frozen=True)
class Sweep:
    """Run the scenario once per value with `parameter` (a dotted path into the YAML document, e.g.
    `topology.data_centres.moscow-1.bus_nodes`) set to it; see `sim.scenario.sweep_points`."""

    parameter: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class RunSpec:
    duration: float  # simulated seconds, warm-up included
    warmup: float
    replications: int
    seed: int
    traffic_scale: float
    precision: float | None  # target relative CI half-width for --precision; None: fixed replications
    max_replications: int
    sweep: Sweep | None
    start_of_day: float = 0.0  # the time of day (seconds after midnight) at simulation time 0
    tagged_share: float = 1.0  # share of each flow simulated message by message; the rest is station background
    max_events: int | None = None  # a replication that processes more events stops with an error (a guard)
    warmup_auto: bool = False  # `warmup: auto`: MSER-5 finds the warm-up per replication (`warmup` is then 0)


# --- the scenario ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    topology: Topology
    message_types: Mapping[str, MessageType]
    workload: Workload
    policies: Policies
    faults: tuple[Fault, ...]  # ordered by start
    slos: tuple[Slo, ...]
    run: RunSpec
    source: str  # the file it came from (or "<string>"), for messages
    document: Any = field(default=None, repr=False, compare=False)  # the YAML tree, for sim.scenario.with_overrides

    @property
    def participants(self) -> Participants:
        return self.topology.participants

    def summary(self) -> str:
        """One line: participants, groups, regions, types, flows, faults, SLOs (and the sweep)."""
        sweep = f", sweep over {self.run.sweep.parameter} ({len(self.run.sweep.values)} points)" if self.run.sweep else ""
        counts = [(len(self.participants), "participant"), (len(self.participants.groups), "group"),
                  (len(self.topology.regions), "region"), (len(self.message_types), "message type"),
                  (len(self.workload.flows), "flow"), (len(self.faults), "fault"), (len(self.slos), "SLO")]
        return ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts) + sweep
