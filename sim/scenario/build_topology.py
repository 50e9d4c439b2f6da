"""Building `Topology` from the `topology:` section: data centres, links, bus, portal, ESIA, CA, regions, participants."""

from __future__ import annotations

from itertools import combinations

from conformance.yamlnodes.quantities import UnitError, parse_share
from conformance.yamlnodes.tree import Node
from sim.scenario import fields as f
from sim.scenario import schema as s
from sim.scenario.fields import INVALID, Context, Invalid, Section
from sim.scenario.model import (
    PORTAL,
    REGIONAL_KINDS,
    Bus,
    CertificationAuthority,
    DataCentre,
    Esia,
    Link,
    Participant,
    ParticipantGroup,
    Participants,
    Portal,
    Region,
    RegionalBus,
    Topology,
)
from sim.scenario.refs import Names, Resolver


def named_entries(ctx: Context, node: Node | None, path: str, *, required: bool = False) -> list[tuple[str, Node, str]]:
    """`(name, settings node, path)` for each entry of a name -> settings mapping; bad names are problems."""
    out = []
    if node is None:  # absent: a required section was already reported missing
        return out
    if node.value is None:
        if required:
            ctx.problem(node, path, "must name at least one entry")
        return out
    for key, child in ctx.entries(node, path).items():
        if not f.NAME.fullmatch(key):
            ctx.problem(child, f"{path}.{key}", "not a valid name (letters, digits, '-' and '_')", line=node.key_lines.get(key))
            continue
        out.append((key, child, f"{path}.{key}"))
    if required and not out and node.is_map:
        ctx.problem(node, path, "must name at least one entry")
    return out


class TopologyBuilder:
    def __init__(self, ctx: Context, names: Names):
        self.ctx = ctx
        self.names = names
        self.refs = Resolver(ctx, names)

    def build(self, node: Node | None) -> Topology:
        sec = self.ctx.section(node, "topology", s.TOPOLOGY)
        data_centres = self._data_centres(sec.nodes["data_centres"])
        links = self._links(sec)
        bus = self._bus(sec.nodes["bus"])
        portal = self._portal(sec.nodes["portal"], data_centres)
        esia = self._esia(sec.nodes["esia"], data_centres)
        ca = self._ca(sec.nodes["ca"], data_centres)
        regions = self._regions(sec.nodes["regions"], sec.nodes["region_series"], data_centres)
        links += self._region_links(regions, sec.nodes["regions"], sec.nodes["region_series"])
        participants = self._participants(sec.nodes["participants"])
        return Topology(data_centres, tuple(links), bus, portal, esia, ca, regions, participants)

    # --- data centres and links --------------------------------------------------------------------------------

    def _data_centres(self, node: Node | None) -> dict[str, DataCentre]:
        result: dict[str, DataCentre] = {}
        for name, child, path in named_entries(self.ctx, node, "topology.data_centres", required=True):
            sec = self.ctx.section(child, path, s.DATA_CENTRE)
            result[name] = DataCentre(name, sec["bus_nodes"])
        if result and all(dc.bus_nodes == 0 for dc in result.values() if dc.bus_nodes is not INVALID):
            self.ctx.problem(node, "topology.data_centres", "no data centre runs a bus node (bus_nodes is 0 everywhere)")
        self.names.data_centres.update(result)
        return result

    def _links(self, sec: Section) -> list[Link]:
        default = self.ctx.section(sec.nodes["default_link"], "topology.default_link", s.LINK)
        explicit: dict[frozenset[str], Link] = {}
        node = sec.nodes["links"]
        items = []
        if node is not None and node.value is not None:
            if node.is_seq:
                items = node.value
            else:
                self.ctx.problem(node, "topology.links", f"expected a list of links, got {f.describe(node)}")
        for i, child in enumerate(items):
            path = f"topology.links[{i}]"
            entry = self.ctx.section(child, path, s.LINK_ENTRY)
            ends = entry["between"]
            if ends is INVALID:
                continue
            if len(ends) != 2 or ends[0] == ends[1]:
                self.ctx.problem(entry.nodes["between"], f"{path}.between", "a link joins two different data centres")
                continue
            if not all(self.refs.data_centre(e, entry.nodes["between"], f"{path}.between") for e in ends):
                continue
            key = frozenset(ends)
            if key in explicit:
                self.ctx.problem(child, path, f"a second link between {ends[0]} and {ends[1]}")
                continue
            explicit[key] = Link(ends[0], ends[1], entry["latency"], entry["bandwidth"], entry["loss"])
        links = []
        for a, b in combinations(self.names.data_centres, 2):
            links.append(explicit.get(frozenset((a, b))) or Link(a, b, default["latency"], default["bandwidth"],
                                                                 default["loss"]))
        return links

    # --- services ----------------------------------------------------------------------------------------------

    def _bus(self, node: Node | None) -> Bus:
        sec = self.ctx.section(node, "topology.bus", s.BUS)
        return Bus(sec["node_concurrency"], sec["ingress_time"], sec["delivery_time"], sec["queue_capacity"])

    def _placement(self, sec: Section, key: str, data_centres: dict[str, DataCentre]) -> tuple[str, ...]:
        value = sec[key]
        if value is None:
            return tuple(data_centres)
        if value is INVALID:
            return ()
        for name in value:
            self.refs.data_centre(name, sec.nodes[key], sec.at(key))
        return value

    def _portal(self, node: Node | None, data_centres: dict[str, DataCentre]) -> Portal:
        sec = self.ctx.section(node, "topology.portal", s.PORTAL)
        return Portal(self._placement(sec, "data_centres", data_centres), sec["concurrency"], sec["service_time"],
                      sec["on_esia_down"], sec["esia_wait_limit"])

    def _esia(self, node: Node | None, data_centres: dict[str, DataCentre]) -> Esia:
        sec = self.ctx.section(node, "topology.esia", s.ESIA)
        return Esia(self._placement(sec, "data_centres", data_centres), sec["concurrency"], sec["login_time"],
                    sec["session_lifetime"])

    def _ca(self, node: Node | None, data_centres: dict[str, DataCentre]) -> CertificationAuthority:
        sec = self.ctx.section(node, "topology.ca", s.CA)
        where = sec["data_centre"]
        if where is None:
            where = next(iter(data_centres), "")
        else:
            self.refs.data_centre(where, sec.nodes["data_centre"], "topology.ca.data_centre")
        return CertificationAuthority(where, sec["response_time"], sec["crl_cache_lifetime"])

    # --- regions -----------------------------------------------------------------------------------------------

    def _region(self, name: str, code: int, sec: Section, data_centres: dict[str, DataCentre]) -> Region:
        uplinks = self._placement(sec, "uplinks", data_centres)
        bus_node = sec.nodes["regional_bus"]
        regional_bus: RegionalBus | None
        if bus_node is not None and bus_node.value is False:
            regional_bus = None
        else:
            if bus_node is not None and bus_node.value is True:
                bus_node = None
            rb = self.ctx.section(bus_node, sec.at("regional_bus"), s.REGIONAL_BUS)
            regional_bus = RegionalBus(rb["concurrency"], rb["ingress_time"], rb["delivery_time"])
        return Region(name, code, uplinks, regional_bus)

    def _regions(self, node: Node | None, series: Node | None, data_centres: dict[str, DataCentre]) -> dict[str, Region]:
        regions: dict[str, Region] = {}
        codes: dict[int, str] = {}
        for name, child, path in named_entries(self.ctx, node, "topology.regions"):
            if name in data_centres:
                self.ctx.problem(child, path, f"{name!r} is already a data centre; regions and data centres share names",
                               line=node.key_lines.get(name))
                continue
            sec = self.ctx.section(child, path, s.REGION)
            code = sec["code"]
            if code is not INVALID and code in codes:
                self.ctx.problem(sec.nodes["code"], f"{path}.code", f"code {code} is already region {codes[code]!r}")
            elif code is not INVALID:
                codes[code] = name
            regions[name] = self._region(name, code, sec, data_centres)
        if series is not None and series.value is not None:
            sec = self.ctx.section(series, "topology.region_series", s.REGION_SERIES)
            count = sec["count"]
            if count is not INVALID:
                code = 0
                for _ in range(count):
                    code += 1
                    while code in codes or f"region-{code:02d}" in regions:
                        code += 1
                    if code > 999:
                        self.ctx.problem(sec.nodes["count"], "topology.region_series.count", "more than 999 region codes")
                        break
                    name = f"region-{code:02d}"
                    codes[code] = name
                    regions[name] = self._region(name, code, sec, data_centres)
        self.names.regions.update(regions)
        return regions

    def _region_links(self, regions: dict[str, Region], node: Node | None, series: Node | None) -> list[Link]:
        links = []
        cache: dict[int, Section] = {}
        for region in regions.values():
            if node is not None and node.is_map and region.name in node.value:
                settings = node.value[region.name]
                link_node = settings.value.get("link") if settings.is_map else None
                path = f"topology.regions.{region.name}.link"
            else:
                link_node = series.value.get("link") if series is not None and series.is_map else None
                path = "topology.region_series.link"
            key = id(link_node)
            if key not in cache:
                cache[key] = self.ctx.section(link_node, path, s.REGION_LINK_DEFAULT)
            sec = cache[key]
            for dc in region.uplinks:
                links.append(Link(region.name, dc, sec["latency"], sec["bandwidth"], sec["loss"]))
        return links

    # --- participants ------------------------------------------------------------------------------------------

    def _via(self, node: Node, path: str) -> float:
        value = node.value
        if value == "bus":
            return 0.0
        if value == "regional-bus":
            return 1.0
        try:
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise UnitError("x")
            return parse_share(value)
        except UnitError:
            self.ctx.problem(node, path, f"expected bus, regional-bus or a share through the regional bus such as '70%', "
                                       f"got {f.describe(node)}")
            return INVALID

    def _region_list(self, sec: Section, path: str) -> tuple[Region, ...]:
        node = sec.nodes["regions"]
        if node is None or node.value is None:
            return ()
        if node.value == "all":
            if not self.names.regions:
                self.ctx.problem(node, path, "'all' regions, but the topology declares none")
            return tuple(self.names.regions.values())
        try:
            wanted = f.names(node)
        except Invalid as exc:
            self.ctx.problem(node, path, f"expected 'all' or a list of regions: {exc}")
            return ()
        out = []
        for name in wanted:
            if self.refs.region(name, node, path):
                out.append(self.names.regions[name])
        return tuple(out)

    def _participants(self, node: Node | None) -> Participants:
        groups: dict[str, ParticipantGroup] = {}
        for name, child, path in named_entries(self.ctx, node, "topology.participants", required=True):
            if name == PORTAL:
                self.ctx.problem(child, path, "'portal' is the reserved name of the Unified Portal",
                               line=node.key_lines.get(name))
                continue
            group = self._group(name, child, path)
            if group is not None:
                groups[name] = group
            else:
                self.names.broken.add(name)
        self._check_generated_names(groups, node)
        self.names.groups.update(groups)
        return Participants(groups)

    def _group(self, name: str, node: Node, path: str) -> ParticipantGroup | None:
        sec = self.ctx.section(node, path, s.PARTICIPANT)
        placed = [k for k in ("data_centre", "region", "regions") if sec.given(k)]
        if len(placed) != 1:
            self.ctx.problem(node, path, "give exactly one of data_centre, region, regions" + (
                f" (got {', '.join(placed)})" if placed else ""))
            return None
        kind, via = sec["kind"], self._via(sec.nodes["via"], sec.at("via")) if sec.given("via") else 0.0
        if via not in (INVALID, 0.0) and kind is not INVALID and kind not in REGIONAL_KINDS:
            self.ctx.problem(sec.nodes["via"], sec.at("via"),
                           f"a {kind} uses the federal bus (451 §9); only {', '.join(REGIONAL_KINDS)} may use a regional bus")
        data_centre = region = None
        regions: tuple[Region, ...] = ()
        if placed == ["data_centre"]:
            data_centre = sec["data_centre"]
            self.refs.data_centre(data_centre, sec.nodes["data_centre"], sec.at("data_centre"))
            if via not in (INVALID, 0.0):
                self.ctx.problem(sec.nodes["via"], sec.at("via"), "a participant placed in a data centre has no regional bus")
        elif placed == ["region"]:
            region = sec["region"]
            if not self.refs.region(region, sec.nodes["region"], sec.at("region")):
                return None
            regions = (self.names.regions[region],)
            if via not in (INVALID, 0.0) and self.names.regions[region].regional_bus is None:
                self.ctx.problem(sec.nodes["via"], sec.at("via"), f"region {region!r} has no regional bus")
        else:
            regions = self._region_list(sec, sec.at("regions"))
        per_region = sec["per_region"]
        if per_region is not None and placed != ["regions"]:
            self.ctx.problem(sec.nodes["per_region"], sec.at("per_region"), "per_region needs `regions`")
            per_region = None
        if per_region is not None and sec.given("count"):
            self.ctx.problem(sec.nodes["count"], sec.at("count"), "give count or per_region, not both")
        count = per_region if per_region is not None else sec["count"]
        if not sec.ok or via is INVALID or count is INVALID:
            return None
        if placed == ["regions"] and not regions:
            return None
        single = placed != ["regions"] and count == 1
        if region is not None and not single:
            regions = (self.names.regions[region],)
        template = Participant(
            name=name, kind=kind, group=name, data_centre=data_centre,
            region=region if single else (regions[0].name if regions else None),
            role=sec["role"], polling_interval=sec["polling_interval"], processing_time=sec["processing_time"],
            concurrency=sec["concurrency"], availability=sec["availability"], mean_outage=sec["mean_outage"],
            via_regional_share=via)
        return ParticipantGroup(name, template, count, regions, per_region is not None, single)

    def _check_generated_names(self, groups: dict[str, ParticipantGroup], node: Node | None) -> None:
        """A declared name must not also be the generated name of another group's member."""
        probe = Names(groups={g.name: g for g in groups.values() if not g.single},
                      regions=self.names.regions)
        for name in groups:
            owner = probe.participant_group(name)
            if owner is not None and owner.name != name:
                self.ctx.problem(node.value[name] if node else None, f"topology.participants.{name}",
                               f"clashes with a generated member name of group {owner.name!r}",
                               line=node.key_lines.get(name) if node else None)
