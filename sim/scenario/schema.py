"""The scenario schema: every section's fields, converters, defaults (as written in YAML) and one-line docs.

This table is the single source of the defaults: the loader reads with it, `smev-sim validate --explain` prints it,
and `scenarios/reference.yaml` documents it (a test checks the reference mentions every field).
Named collections (data centres, regions, participants, message types, flows, faults, SLOs...) are mappings from a
name to settings, so every setting has a dotted path (`topology.data_centres.moscow-1.bus_nodes`) that errors,
overrides and sweeps use.
"""

from __future__ import annotations

from sim.scenario import fields as f
from sim.scenario.faultkinds import KINDS
from sim.scenario.fields import REQUIRED, Field, Schema
from sim.scenario.model import PARTICIPANT_KINDS

TOP: Schema = {
    "name": Field(f.text, REQUIRED, "short name of the scenario"),
    "description": Field(f.text, "", "the question the scenario answers"),
    "topology": Field(f.nested, REQUIRED, "data centres, links, bus, portal, ESIA, CA, regions, participants"),
    "message_types": Field(f.nested, REQUIRED, "registered message types: name -> settings"),
    "workload": Field(f.nested, REQUIRED, "profiles, flows, portal applications, bursts"),
    "policies": Field(f.nested, None, "TTL, acks, retries, replication, failover, fragmentation, quotas, tariffs"),
    "faults": Field(f.nested, None, "fault timeline: name -> settings"),
    "slos": Field(f.nested, None, "SLOs: name -> 'metric op threshold'"),
    "run": Field(f.nested, None, "duration, warm-up, replications, seed, traffic scale, sweep"),
}

TOPOLOGY: Schema = {
    "data_centres": Field(f.nested, REQUIRED, "name -> {bus_nodes}"),
    "links": Field(f.nested, None, "list of {between: [a, b], latency, bandwidth, loss}; other pairs: default_link"),
    "default_link": Field(f.nested, None, "latency/bandwidth/loss of data-centre pairs not listed in links"),
    "bus": Field(f.nested, None, "the federal bus (SMEV) nodes"),
    "portal": Field(f.nested, None, "the Unified Portal (EPGU)"),
    "esia": Field(f.nested, None, "the identity service (ESIA)"),
    "ca": Field(f.nested, None, "the head certification authority's CRL/OCSP service"),
    "regions": Field(f.nested, None, "name -> region settings"),
    "region_series": Field(f.nested, None, "many regions at once: {count, ...region settings}, named region-NN"),
    "participants": Field(f.nested, REQUIRED, "name -> participant or group settings"),
}

DATA_CENTRE: Schema = {
    "bus_nodes": Field(f.integer(0), 2, "bus nodes running in this data centre"),
}

LINK: Schema = {
    "latency": Field(f.distribution("duration"), "const(1ms)", "one-way latency"),
    "bandwidth": Field(f.positive(f.bandwidth), "10Gbit/s", "capacity"),
    "loss": Field(f.share, "0%", "probability that a transmission is lost"),
}
LINK_ENTRY: Schema = {"between": Field(f.names, REQUIRED, "the two data centres (or region and data centre)"), **LINK}

BUS: Schema = {
    "node_concurrency": Field(f.integer(1), 64, "messages one bus node processes at once"),
    "ingress_time": Field(f.distribution("duration"), "exp(4ms)",
                          "ingress pipeline per message: signature, schema, access matrix, quota"),
    "delivery_time": Field(f.distribution("duration"), "exp(2ms)", "serving one poll or ack"),
    "queue_capacity": Field(f.integer(1), None, "bound of each per-type queue (null: unbounded)"),
}

PORTAL: Schema = {
    "data_centres": Field(f.names, None, "where the portal runs (null: every data centre)"),
    "concurrency": Field(f.integer(1), 4000, "applications processed at once"),
    "service_time": Field(f.distribution("duration"), "exp(80ms)", "portal processing per application"),
    "on_esia_down": Field(f.choice("wait", "refuse"), "wait", "applications needing a login while ESIA is down"),
    "esia_wait_limit": Field(f.duration, "15min", "how long a waiting application waits before it is refused"),
}

ESIA: Schema = {
    "data_centres": Field(f.names, None, "where ESIA runs (null: every data centre)"),
    "concurrency": Field(f.integer(1), 1000, "logins processed at once"),
    "login_time": Field(f.distribution("duration"), "lognormal(median=300ms, sigma=0.4)", "one login"),
    "session_lifetime": Field(f.positive(f.duration), "30min", "a session is reused within this time"),
}

CA: Schema = {
    "data_centre": Field(f.name, None, "where the CRL/OCSP service runs (null: the first data centre)"),
    "response_time": Field(f.distribution("duration"), "exp(40ms)", "one CRL fetch / OCSP answer"),
    "crl_cache_lifetime": Field(f.duration, "12h", "the bus reuses a fetched CRL this long"),
}

REGIONAL_BUS: Schema = {
    "concurrency": Field(f.integer(1), 16, "messages processed at once"),
    "ingress_time": Field(f.distribution("duration"), "exp(8ms)", "ingress per message"),
    "delivery_time": Field(f.distribution("duration"), "exp(4ms)", "serving one poll or ack"),
}

REGION: Schema = {
    "code": Field(f.integer(1, 999), REQUIRED, "the region's number (used in generated participant names)"),
    "uplinks": Field(f.names, None, "data centres the region connects to (null: all)"),
    "link": Field(f.nested, None, "latency/bandwidth/loss of each uplink; default: region_link below"),
    "regional_bus": Field(f.nested, None, "the region's own bus settings, or false for none (default: present)"),
}
REGION_LINK_DEFAULT: Schema = {
    "latency": Field(f.distribution("duration"), "lognormal(median=15ms, sigma=0.3)", "one-way latency"),
    "bandwidth": Field(f.positive(f.bandwidth), "1Gbit/s", "capacity"),
    "loss": Field(f.share, "0%", "probability that a transmission is lost"),
}
REGION_SERIES: Schema = {
    "count": Field(f.integer(1, 999), REQUIRED, "how many regions: region-01 ... region-NN (codes not taken)"),
    **{k: v for k, v in REGION.items() if k != "code"},
}

PARTICIPANT: Schema = {
    "kind": Field(f.choice(*PARTICIPANT_KINDS), REQUIRED, "federal-agency, regional-body, municipality, mfc, fund, bank"),
    "data_centre": Field(f.name, None, "placed in this data centre (give exactly one of data_centre/region/regions)"),
    "region": Field(f.name, None, "placed in this region"),
    "regions": Field(f.nested, None, "'all' or a list of regions: with per_region, that many in each"),
    "count": Field(f.integer(1), 1, "members of the group (spread round-robin over `regions`)"),
    "per_region": Field(f.integer(1), None, "members in each of `regions` (instead of count)"),
    "role": Field(f.choice("provider", "consumer", "both"), "both", "provider, consumer or both (963 §8)"),
    "polling_interval": Field(f.positive(f.duration), "1s", "how often it polls the bus for messages"),
    "processing_time": Field(f.distribution("duration"), "lognormal(median=2s, sigma=1)",
                             "time to answer one request (a message type may override it)"),
    "concurrency": Field(f.integer(1), 8, "requests processed at once"),
    "availability": Field(f.share, "100%", "share of time the system is up"),
    "mean_outage": Field(f.positive(f.duration), "10min", "mean length of an outage when availability < 100%"),
    "via": Field(f.nested, "bus", "bus, regional-bus, or the share of traffic through the regional bus (451 §9)"),
}

MESSAGE_TYPE: Schema = {
    "provider": Field(f.name, REQUIRED, "participant or group that answers (for a broadcast: the publisher)"),
    "consumers": Field(f.nested, "*", "participants/groups allowed to request it (the access matrix); '*': any"),
    "realtime": Field(f.boolean, False, "answered within 2 s (963 §10) rather than 48 h"),
    "payload_size": Field(f.distribution("size"), "lognormal(median=8KiB, sigma=1)", "request size"),
    "answer_size": Field(f.distribution("size"), "lognormal(median=16KiB, sigma=1)", "answer size"),
    "attachment_size": Field(f.distribution("size"), None, "attachment size (null: no attachments)"),
    "attachment_share": Field(f.share, "0%", "share of requests with an attachment"),
    "processing_time": Field(f.distribution("duration"), None, "overrides the provider's processing time"),
    "ttl": Field(f.positive(f.duration), None, "overrides the policy TTL"),
    "cannot_provide": Field(f.share, "0%", "share of requests answered 'cannot provide' (963 §4): a refusal, an answer"),
    "broadcast": Field(f.boolean, False, "published to subscribers, no answer"),
    "subscribers": Field(f.names, None, "participants/groups that receive a broadcast"),
}

WORKLOAD: Schema = {
    "profiles": Field(f.nested, None, "name -> {'HH:MM': factor, ...}: rate multipliers over the day"),
    "flows": Field(f.nested, None, "name -> direct participant-to-participant or data-mart requests"),
    "portal": Field(f.nested, None, "applications on the portal"),
    "bursts": Field(f.nested, None, "name -> {at, duration, factor, flows}"),
}

FLOW: Schema = {
    "consumer": Field(f.name, REQUIRED, "participant or group sending (for a group: the total rate)"),
    "type": Field(f.name, REQUIRED, "message type requested"),
    "rate": Field(f.rate, None, "requests per unit of time (give rate or interarrival)"),
    "interarrival": Field(f.distribution("duration"), None, "gaps between requests (default: Poisson at rate)"),
    "profile": Field(f.name, None, "daily profile multiplying the rate"),
    "channel": Field(f.choice("bus", "datamart"), "bus", "through the bus to the provider, or its data mart via the agent"),
    "start": Field(f.duration, "0s", "first request not before"),
    "end": Field(f.duration, None, "no requests after (null: the end of the run)"),
}

PORTAL_WORKLOAD: Schema = {
    "rate": Field(f.rate, REQUIRED, "applications per unit of time"),
    "profile": Field(f.name, None, "daily profile multiplying the rate"),
    "login_share": Field(f.share, "30%", "share of applications that need a new ESIA login"),
    "services": Field(f.nested, REQUIRED, "name -> {share, sender, steps}"),
}

PORTAL_SERVICE: Schema = {
    "share": Field(f.share, REQUIRED, "share of applications for this service (shares sum to 100%)"),
    "sender": Field(f.name, "portal", "who sends the requests: the portal or the participant serving the service"),
    "steps": Field(f.nested, REQUIRED, "list of steps, each a message type or a list of types sent in parallel"),
}

BURST: Schema = {
    "at": Field(f.duration, REQUIRED, "start"),
    "duration": Field(f.positive(f.duration), REQUIRED, "length"),
    "factor": Field(f.number(0.0), REQUIRED, "rate multiplier"),
    "flows": Field(f.names, None, "flows affected ('portal' for applications; null: all)"),
}

POLICIES: Schema = {
    "ttl": Field(f.positive(f.duration), "5d", "end of life of an asynchronous message"),
    "realtime_ttl": Field(f.positive(f.duration), "10s", "end of life of a real-time message"),
    "ack_timeout": Field(f.positive(f.duration), "1min", "a delivered message not acked in this is redelivered"),
    "max_redeliveries": Field(f.integer(0), 10, "redeliveries before the message is dropped as expired"),
    "retry": Field(f.nested, None, "the sender's retries"),
    "replication_factor": Field(f.integer(1), 2, "copies of each queued message in distinct data centres"),
    "failover_detection": Field(f.duration, "30s", "time for clients to notice a failure and switch"),
    "fragmentation_threshold": Field(f.positive(f.size), "5MiB", "larger messages travel in fragments"),
    "fragment_size": Field(f.positive(f.size), "1MiB", "size of one fragment"),
    "quotas": Field(f.nested, None, "participant, group, kind or 'default' -> quota"),
    "tariffs": Field(f.nested, None, "participant, group, kind or 'default' -> tariff"),
    "currency": Field(f.text, "RUB", "currency of the tariffs"),
}

RETRY: Schema = {
    "max_attempts": Field(f.integer(1), 5, "attempts including the first"),
    "initial": Field(f.duration, "1s", "wait before the first retry"),
    "multiplier": Field(f.number(1.0), 2, "each further wait is this many times longer"),
    "max_backoff": Field(f.duration, "5min", "longest wait"),
    "jitter": Field(f.share, "20%", "each wait is multiplied by a uniform factor in [1-jitter, 1+jitter]"),
    "timeout": Field(f.positive(f.duration), "30s", "a send without a reply within this is retried"),
}

QUOTA: Schema = {
    "rate": Field(f.positive(f.rate), None, "messages per unit of time (null: unlimited)"),
    "burst": Field(f.integer(1), 100, "messages allowed in a burst above the rate"),
    "max_message_size": Field(f.positive(f.size), None, "largest message accepted"),
    "block_after": Field(f.integer(1), None, "rejections within block_window that block the participant (697 §6м)"),
    "block_window": Field(f.positive(f.duration), "1min", "window for block_after"),
    "block_for": Field(f.positive(f.duration), "1h", "how long a blocked participant stays blocked"),
}

TARIFF: Schema = {
    "price": Field(f.number(0.0), REQUIRED, "price per message (697 §6д, §6ц)"),
    "free_messages": Field(f.integer(0, 10**15), 0, "messages free of charge per run"),
}

FAULT_COMMON: Schema = {
    "kind": Field(f.choice(*KINDS), REQUIRED, ", ".join(KINDS)),
    "at": Field(f.duration, REQUIRED, "start, from the beginning of the run"),
    "duration": Field(f.positive(f.duration), None, "length (null: to the end of the run)"),
}

FAULT_FIELDS: dict[str, Schema] = {kind: unit.fields for kind, unit in KINDS.items()}
"""Each fault kind's own fields (its unit in `sim.scenario.faultkinds` declares them)."""

RUN: Schema = {
    "duration": Field(f.at_most(f.positive(f.duration), f.MAX_RUN_DURATION_S, "366 days"), "1h",
                      "simulated time, warm-up included (at most 366 days)"),
    "warmup": Field(f.or_auto(f.duration), "auto", "statistics ignore what happens before this; auto: MSER-5 "
                    "finds it per replication on the SLO metrics' series (sim.metrics.warmup)"),
    "replications": Field(f.integer(1, f.MAX_REPLICATIONS), 5, "independent replications"),
    "seed": Field(f.integer(0, 2**63 - 1), 1, "fixes every random choice"),
    "traffic_scale": Field(f.number(0.0, strictly=True), 1, "multiplies every arrival rate"),
    "tagged_share": Field(f.positive(f.share), 1, "share of every flow simulated message by message; the rest is "
                          "background: bare jobs at the stations it loads (see sim.model.background)"),
    "precision": Field(f.positive(f.share), None, "target relative half-width of SLO intervals (e.g. 5%)"),
    "max_replications": Field(f.integer(1, f.MAX_REPLICATIONS), 50, "cap of replications when aiming at a precision"),
    "max_events": Field(f.integer(1, 10**15), None, "stop a replication that processes more events than this "
                        "(a guard against runs that would not finish; `smev-sim run --max-events`)"),
    "sweep": Field(f.nested, None, "{parameter: dotted.path, values: [...]}"),
    "start_of_day": Field(f.time_of_day, "00:00", "time of day when the run starts (daily profiles follow it)"),
}

SWEEP: Schema = {
    "parameter": Field(f.text, REQUIRED, "dotted path of the setting to vary"),
    "values": Field(f.nested, REQUIRED, "list of values, written as in the file"),
}

SECTIONS: dict[str, Schema] = {
    "": TOP, "topology": TOPOLOGY, "topology.data_centres.<name>": DATA_CENTRE,
    "topology.links[]": LINK_ENTRY, "topology.default_link": LINK, "topology.bus": BUS, "topology.portal": PORTAL,
    "topology.esia": ESIA, "topology.ca": CA, "topology.regions.<name>": REGION,
    "topology.regions.<name>.link": REGION_LINK_DEFAULT, "topology.regions.<name>.regional_bus": REGIONAL_BUS,
    "topology.region_series": REGION_SERIES, "topology.participants.<name>": PARTICIPANT,
    "message_types.<name>": MESSAGE_TYPE, "workload": WORKLOAD, "workload.flows.<name>": FLOW,
    "workload.portal": PORTAL_WORKLOAD, "workload.portal.services.<name>": PORTAL_SERVICE,
    "workload.bursts.<name>": BURST, "policies": POLICIES, "policies.retry": RETRY,
    "policies.quotas.<name>": QUOTA, "policies.tariffs.<name>": TARIFF, "faults.<name>": FAULT_COMMON,
    **{f"faults.<name> (kind: {kind})": schema for kind, schema in FAULT_FIELDS.items() if schema},
    "run": RUN, "run.sweep": SWEEP,
}
"""Every section, for `validate --explain` and the reference-completeness test."""


def explain() -> str:
    """The schema as text: each section, each field with its default and doc."""
    lines = []
    for path, schema in SECTIONS.items():
        lines.append(f"{path or '(top level)'}:")
        for key, spec in schema.items():
            default = "required" if spec.default is REQUIRED else f"default {spec.default!s}" if spec.default not in (None, "") \
                else "optional"
            lines.append(f"  {key:<24} {default:<44} {spec.doc}")
    return "\n".join(lines)
