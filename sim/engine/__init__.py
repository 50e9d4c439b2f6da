"""The simulation engine under the model: SimPy's environment with the model's clock, generator and horizon
(`kernel`), batched sampling of distributions (`sampling`), and the service-centre base every queueing component
of the model is built on (`centre`). It knows nothing of buses, messages or scenarios, so the model, the workload
and the fault schedule all stand on it."""

from sim.engine.centre import ServiceCentre, Station
from sim.engine.kernel import Call, EventLimitReached, Kernel
from sim.engine.sampling import Sampler

__all__ = ["Call", "EventLimitReached", "Kernel", "Sampler", "ServiceCentre", "Station"]
