"""The SimPy model of the interaction infrastructure: portal, ESIA, CA, the bus, regional buses, participants,
data centres and network. Entry point: `simulate(scenario, seed, *, audit_path=None) -> ReplicationSummary`.

Modules (on `sim.engine`: the SimPy kernel, batched sampling, the service-centre base): `network` (links,
paths, partitions), `bus` (sites, ingress pipeline, replicated per-type queues), `endpoints` (participants, SMEV
agents, relays between buses, the sender's retries), `factory` (messages and 451 §9 routing), `portal` (EPGU and
ESIA), `ca` (CRL cache), `limits` (quotas, blocking, bills), `audit` (451 §11г trail), `background` and
`background_load` (the untagged share of the traffic), `replication` (building and running one replication); faults
in `sim.faults`, arrival processes in `sim.workload`.

Modelling decisions worth knowing when reading the numbers:
- A message is *sent* (the collector's `message_sent`) when it enters the first bus's queue: the request time of
  697 decree §8. A message the bus never accepted (rejected at ingress, or the sender gave up retrying) is reported
  sent and closed at that moment, so `sent = delivered + in_flight + expired + rejected + lost` always holds.
  The collector is also given the message's creation time, when the consumer sent it (`Msg.created`): client-side
  latency, the SLO figure, runs from there (first hop, entrance wait and service, retries included).
- Every service centre is a `sim.engine.ServiceCentre` reporting to one `sim.metrics.stations.StationMeter`, the
  one accounting of utilisation, queue lengths, throughput and waits: each bus node's entrance (its ingress servers)
  and delivery store (the messages it accepted until acked or handed on: waiting for a poll, then in delivery; a
  delay station), each site's nodes together, the portal, ESIA, the CA (CRL fetches, a delay station), each
  provider group's workers and each link (processor sharing, the transfers in the sharing). Component utilisation
  is the same meter's busy time, background included.
- *Delivered* means the recipient application received it (and acked); a redelivered copy is dropped by MessageID.
  The Ack is recorded by the bus when sent (it takes milliseconds against an ack timeout of a minute); an Ack that
  cannot reach the bus (partition) leads to redelivery after the ack timeout.
- A message belongs to one bus at a time; the next bus of its route takes it over when it accepts it.
- Queued messages live on `replication_factor` data centres; losing a data centre loses those with no copy left
  (counted as lost) and re-replicates the others; a returning data centre gets its missing copies back.
- A sender waiting for an overloaded ingress node gives up after its timeout and retries; its job leaves the node's
  queue then (a sender already out of time is not queued). A recipient's polls take its oldest message first, whatever
  its type (one FIFO per recipient, as SMEV 3 delivers). Bus `delivery_time` (serving a poll or Ack) is latency, not
  node occupancy. A link's bandwidth is shared by the transfers on it, max-min fair (`flows`; small transfers take the
  current share without entering the sharing, see `network`). Regions are network leaves: no transit between data
  centres.
- With `replication_factor` > 1 an accepted message is copied to the other data centres of its replica set over the
  links (sharing their bandwidth) and each copy confirmed before the bus tells the sender it is accepted.
- Status messages (697 §6о) are carried from the bus site to the sender's system (`status.<category>` counts them
  by category, `status.received` those that arrived). A share `cannot_provide` of a type's requests is answered
  with a refusal (963 §4; `answers.cannot_provide[.<type>]`). ESIA sessions are represented by `login_share`, not by
  session lifetimes.
- `traffic_scale` multiplies every rate; `tagged_share` < 1 simulates that share of each flow message by message and
  carries the rest as background jobs at the stations it loads, in one FCFS order with the tagged messages
  (`background`, `background_load`); background obeys retries, end of life, bounded queues and quotas. Background
  crosses no link: link sharing sees the tagged transfers only. Reported utilisations include the background;
  `summary.extra["background_utilisation"]` lists its offered load by component or group.
"""

from __future__ import annotations

from sim.model.replication import simulate

__all__ = ["simulate"]
