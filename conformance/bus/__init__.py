"""The SMEV 3 bus test double: the SOAP API of versions 1.1-1.3 over HTTP, with state in SQLite.

Public API:

    from conformance.bus.service import Bus, BusConfig      # Bus(types, store=, config=, credentials=, clock=)
    Bus.handle(path, headers, body) -> HttpAnswer            # one HTTP call, never raises
    Bus.force_fault(rpc, fault, times=1, caller=None, reason=None)
    Bus.notify_status(original_message_id, category, details=None, fault=None) -> status message id
    Bus.inject_request(sender, content, version=, test_message=, bad_signature=) -> QueuedMessage
    Bus.inject_response(original_message_id, answer, bad_signature=) -> QueuedMessage
    Bus.redeliver(message_id, bad_signature=False)
    from conformance.bus.server import start                 # start(bus, host, port) -> RunningBus(.url, .close())
    from conformance.bus.client import BusClient             # urllib client over the protocol core
    from conformance.bus.store import BusStore               # BusStore(path): queues, acks, journal (.exchanges())
    from conformance.bus.registry_view import load_types     # the registry as a TypeTable: queue keys, access matrix
    from conformance.bus.credentials import load_credentials # --keys DIR layout, participants by certificate
    from conformance.bus.capture import write_capture        # exchanges -> NNNN-<Rpc>-<status>.request/.response.http
    from conformance.bus.replay import load_captures, replay  # resend a captured call, compare -> Replayed.verdict
    conformance.bus.service.FORCED_HEADER                     # X-SMEV-Double-Forced: on answers a test armed
"""
