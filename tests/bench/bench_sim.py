"""Simulator speed and growth, each figure beside a baseline measured in the same run.

- `sim_messages_per_s`: simulated messages (sent on the buses) per wall-second of one replication of the default
  scenario (`scenarios/national-working-day.yaml`; shortened in quick mode) with every message simulated
  (`PER_MESSAGE`: tagged_share 100 % at a thousandth of the volume, so that no background is in the figure), against
  a bare SimPy pipeline built here: the same number of messages, each a SimPy process through the same number of
  hops (FIFO stations, a `simpy.Resource` plus a timeout each, at 50 % utilisation). A hop of the model is one delay a
  message meets: a station's service (bus ingress, portal, identity service), a network transfer, or a provider's
  processing; `sim_hops_per_message` is that count over a calibration run divided by the messages sent. Target
  ratio >= 0.5. Model and pipeline run alternately `ROUNDS` times and the fastest of each counts (noisy machines).
- `participants_<n>_*`: wall time and peak memory of that per-message run with n participants (100, 1,000, 10,000:
  region count, municipalities per region and bank count overridden, traffic unchanged), against the 100 point.
- `traffic_x<k>_*`: the same with traffic_scale multiplied by k (1, 3, 10), against x1.
- `background_jobs_per_s`: background jobs (`sim.model.background`) per wall-second of a national peak window where
  the background is nearly all the work (tagged_share 0.1 %), against a bare loop of the same recursion built here
  (`heapq.heapreplace` over 64 servers' free times, arrivals and services from lists).
- `national_peak_hour_projected_wall_s`: what one national peak hour (10:00-11:00, traffic_scale 1) would take with
  every message simulated one by one: the messages of that hour (counted in a sampled peak window at traffic_scale
  `PEAK_SAMPLE_SCALE`) divided by the messages per wall-second of that window.
- `national_peak_hour_wall_s`, `national_peak_hour_peak_mib`: one replication of `scenarios/national-peak-hour.yaml`
  (the whole national volume, a 2 % tagged sample message by message, the rest as background jobs), against the
  issue's targets (600 s, 4 GiB on one core); `speed_up` is the projection's wall time over this one. Quick mode runs
  its first 10 minutes only.
Every run happens in a fresh subprocess, so its peak resident memory (`VmHWM`) is its own; the memory baseline
is an idle interpreter that imported the model (what every run pays before simulating anything).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
SCENARIO = ROOT / "scenarios" / "national-working-day.yaml"
PEAK_SCENARIO = ROOT / "scenarios" / "national-peak-hour.yaml"
SEED = 2020
CHILD_TIMEOUT_S = 900

PARTICIPANT_POINTS = {  # total participants -> overrides: 8 agencies + banks + regions x (1 MFC + 2 bodies + m)
    100: {"topology.region_series.count": 6, "topology.participants.municipality.per_region": 9,
          "topology.participants.bank.count": 20},
    1000: {"topology.participants.municipality.per_region": 8, "topology.participants.bank.count": 57},
    10000: {"topology.participants.municipality.per_region": 100, "topology.participants.bank.count": 1237},
}
TRAFFIC_FACTORS = (1, 3, 10)
PER_MESSAGE = {"run.tagged_share": 1, "run.traffic_scale": 0.001}
PEAK_WINDOW = {"run.start_of_day": "10:00", "run.duration": "3min", "run.warmup": "1min"}
PEAK_SAMPLE_SCALE = 0.01
BACKGROUND_WINDOW = {**PEAK_WINDOW, "run.duration": "5min", "run.tagged_share": 0.001}
PEAK_HOUR_TARGET_S = 600.0
PEAK_HOUR_MEMORY_MIB = 4096.0
ROUNDS = 2


# --- what runs inside the subprocess --------------------------------------------------------------------------------

def _peak_mib() -> float:
    """This process's peak resident memory. `VmHWM` belongs to the address space built at exec, whereas
    `ru_maxrss` also remembers the forked copy of the parent before exec (the parent's size, not this run's)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _scenario(overrides: dict[str, Any], path: str | Path = SCENARIO) -> Any:
    from sim.scenario import load, with_overrides

    scenario = load(path)
    return with_overrides(scenario, overrides) if overrides else scenario


def _child_model(overrides: dict[str, Any], path: str | Path = SCENARIO) -> dict[str, Any]:
    from sim.model import simulate

    scenario = _scenario(overrides, path)
    participants = sum(len(group) for group in scenario.topology.participants.groups.values())
    started = time.perf_counter()
    summary = simulate(scenario, SEED)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "sent": summary.messages["sent"], "delivered": summary.messages["delivered"],
            "participants": participants, "peak_mib": _peak_mib(), "duration_s": scenario.run.duration,
            "background_jobs": summary.extra["model"].get("background.jobs", 0)}


def _child_hops(overrides: dict[str, Any]) -> dict[str, Any]:
    """Count the delays messages meet, by wrapping the three places the model draws one."""
    from sim.engine import Station
    from sim.model import simulate
    from sim.model.endpoints import Participant
    from sim.model.network import Network

    counts = {"station": 0, "network": 0, "processing": 0}

    def counting(cls: type, name: str, key: str) -> None:
        original = getattr(cls, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[key] += 1
            return original(*args, **kwargs)

        setattr(cls, name, wrapper)

    counting(Station, "_start", "station")
    counting(Network, "transfer", "network")
    counting(Participant, "service_time", "processing")
    summary = simulate(_scenario({**PER_MESSAGE, **overrides}), SEED)
    sent = max(summary.messages["sent"], 1)
    return {"hops_per_message": sum(counts.values()) / sent, "counts": counts, "sent": sent}


def _child_simpy(messages: int, hops: int) -> dict[str, Any]:
    """The bare pipeline: idiomatic SimPy, one process per message, `hops` stations in a row."""
    import numpy as np
    import simpy

    rng = np.random.default_rng(SEED)
    servers, rate = 4, 100.0
    gaps = rng.exponential(1.0 / rate, messages)
    services = rng.exponential(0.5 * servers / rate, (messages, hops))  # utilisation 0.5 at every station
    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=servers) for _ in range(hops)]
    done = [0]

    def message(i: int):
        for h, station in enumerate(stations):
            with station.request() as request:
                yield request
                yield env.timeout(services[i, h])
        done[0] += 1

    def source():
        for i in range(messages):
            yield env.timeout(gaps[i])
            env.process(message(i))

    started = time.perf_counter()
    env.process(source())
    env.run()
    wall = time.perf_counter() - started
    if done[0] != messages:
        raise AssertionError(f"the bare pipeline finished {done[0]} of {messages} messages")
    return {"wall_s": wall, "messages": messages, "peak_mib": _peak_mib()}


def _child_recursion(jobs: int) -> dict[str, Any]:
    """The bare background recursion: `jobs` arrivals through 64 servers' free times with `heapq.heapreplace`."""
    import heapq

    import numpy as np

    rng = np.random.default_rng(SEED)
    times = np.cumsum(rng.exponential(1.0 / 10_000.0, jobs)).tolist()
    services = rng.exponential(0.004, jobs).tolist()
    free = [0.0] * 64
    started = time.perf_counter()
    for a, s in zip(times, services, strict=True):
        f = free[0]
        heapq.heapreplace(free, (a if a > f else f) + s)
    return {"wall_s": time.perf_counter() - started, "jobs": jobs}


def _child_idle() -> dict[str, Any]:
    import sim.model  # noqa: F401  (what a run imports before it simulates)

    _scenario({})
    return {"peak_mib": _peak_mib()}


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    kind = spec["kind"]
    if kind == "model":
        return _child_model(spec["overrides"], spec.get("scenario", SCENARIO))
    if kind == "hops":
        return _child_hops(spec["overrides"])
    if kind == "simpy":
        return _child_simpy(spec["messages"], spec["hops"])
    if kind == "idle":
        return _child_idle()
    if kind == "recursion":
        return _child_recursion(spec["jobs"])
    raise ValueError(f"unknown child kind {kind!r}")


# --- the benchmark ----------------------------------------------------------------------------------------------------

def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return what it printed (its last line, JSON)."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
                          capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"bench_sim child {spec} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 4) if baseline else float("nan")


def run(quick: bool = False) -> dict[str, Any]:
    default = {**PER_MESSAGE, "run.duration": "20min"} if quick else PER_MESSAGE
    short = "15min" if quick else "30min"
    figures: dict[str, Any] = {}

    idle = measure({"kind": "idle"})["peak_mib"]
    hops = measure({"kind": "hops", "overrides": {"run.duration": "20min"}})
    h = max(1, round(hops["hops_per_message"]))
    models, bares = [], []
    for _ in range(ROUNDS):  # interleaved, best of each: a neighbour's load on this machine hits both alike
        models.append(measure({"kind": "model", "overrides": default}))
        bares.append(measure({"kind": "simpy", "messages": models[0]["sent"], "hops": h}))
    model = min(models, key=lambda m: m["wall_s"])
    bare = min(bares, key=lambda b: b["wall_s"])
    model_rate = model["sent"] / model["wall_s"]
    bare_rate = bare["messages"] / bare["wall_s"]
    figures["sim_messages_per_s"] = {"value": round(model_rate, 1), "unit": "messages/s",
                                     "baseline": round(bare_rate, 1), "ratio": _ratio(model_rate, bare_rate)}
    figures["sim_hops_per_message"] = {"value": round(hops["hops_per_message"], 3), "unit": "hops",
                                       "baseline": h, "ratio": None}
    figures["sim_default_messages"] = {"value": model["sent"], "unit": "messages"}
    figures["sim_default_wall_s"] = {"value": round(model["wall_s"], 3), "unit": "s",
                                     "baseline": round(bare["wall_s"], 3),
                                     "ratio": _ratio(model["wall_s"], bare["wall_s"])}
    figures["sim_default_peak_mib"] = {"value": round(model["peak_mib"], 1), "unit": "MiB",
                                       "baseline": round(idle, 1), "ratio": _ratio(model["peak_mib"], idle)}

    base: dict[str, Any] | None = None
    for n, overrides in PARTICIPANT_POINTS.items():
        point = measure({"kind": "model", "overrides": {**PER_MESSAGE, "run.duration": short, **overrides}})
        base = base or point
        figures[f"participants_{n}_wall_s"] = {"value": round(point["wall_s"], 3), "unit": "s",
                                               "baseline": round(base["wall_s"], 3),
                                               "ratio": _ratio(point["wall_s"], base["wall_s"]),
                                               "participants": point["participants"]}
        figures[f"participants_{n}_peak_mib"] = {"value": round(point["peak_mib"], 1), "unit": "MiB",
                                                 "baseline": round(idle, 1), "ratio": _ratio(point["peak_mib"], idle)}

    scale = PER_MESSAGE["run.traffic_scale"]
    factors = (1, 10) if quick else TRAFFIC_FACTORS
    base = None
    for k in factors:
        duration = "12min" if quick else short
        point = measure({"kind": "model", "overrides": {**PER_MESSAGE, "run.duration": duration,
                                                        "run.traffic_scale": scale * k}})
        base = base or point
        figures[f"traffic_x{k}_wall_s"] = {"value": round(point["wall_s"], 3), "unit": "s",
                                           "baseline": round(base["wall_s"], 3),
                                           "ratio": _ratio(point["wall_s"], base["wall_s"]),
                                           "messages": point["sent"]}
        figures[f"traffic_x{k}_peak_mib"] = {"value": round(point["peak_mib"], 1), "unit": "MiB",
                                             "baseline": round(idle, 1), "ratio": _ratio(point["peak_mib"], idle)}

    window = {**BACKGROUND_WINDOW, "run.duration": "2min"} if quick else BACKGROUND_WINDOW
    loaded = measure({"kind": "model", "scenario": str(PEAK_SCENARIO), "overrides": window})
    recursion = measure({"kind": "recursion", "jobs": loaded["background_jobs"]})
    jobs_rate = loaded["background_jobs"] / loaded["wall_s"]
    bare_jobs_rate = recursion["jobs"] / recursion["wall_s"]
    figures["background_jobs_per_s"] = {"value": round(jobs_rate), "unit": "jobs/s", "baseline": round(bare_jobs_rate),
                                        "ratio": _ratio(jobs_rate, bare_jobs_rate), "jobs": loaded["background_jobs"],
                                        "tagged_messages": loaded["sent"]}

    sample = measure({"kind": "model", "scenario": str(PEAK_SCENARIO),
                      "overrides": {**PEAK_WINDOW, "run.tagged_share": 1, "run.traffic_scale": PEAK_SAMPLE_SCALE}})
    hour_messages = sample["sent"] / PEAK_SAMPLE_SCALE / sample["duration_s"] * 3600.0
    projected = hour_messages / (sample["sent"] / sample["wall_s"])
    figures["national_peak_hour_messages"] = {"value": round(hour_messages), "unit": "messages"}
    figures["national_peak_hour_projected_wall_s"] = {"value": round(projected, 1), "unit": "s",
                                                      "target": PEAK_HOUR_TARGET_S,
                                                      "ratio": round(projected / PEAK_HOUR_TARGET_S, 3)}

    peak = measure({"kind": "model", "scenario": str(PEAK_SCENARIO),
                    "overrides": {"run.duration": "10min", "run.warmup": "5min"} if quick else {}})
    figures["national_peak_hour_wall_s"] = {"value": round(peak["wall_s"], 1), "unit": "s",
                                            "target": PEAK_HOUR_TARGET_S,
                                            "ratio": round(peak["wall_s"] / PEAK_HOUR_TARGET_S, 3),
                                            "tagged_messages": peak["sent"], "background_jobs": peak["background_jobs"],
                                            "simulated_s": peak["duration_s"],
                                            "speed_up": round(projected * peak["duration_s"] / 3600.0
                                                              / peak["wall_s"], 1)}
    figures["national_peak_hour_peak_mib"] = {"value": round(peak["peak_mib"], 1), "unit": "MiB",
                                              "target": PEAK_HOUR_MEMORY_MIB,
                                              "ratio": round(peak["peak_mib"] / PEAK_HOUR_MEMORY_MIB, 4)}
    return figures


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(_child(json.loads(sys.argv[2]))))
    else:
        print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
