"""The reference SMEV 3 participant (a provider and a consumer of the sample types) and its broken twins.

Public API:
    conformance.reference.common:    Settings(bus_url, state=":memory:", variant=REFERENCE, version="1.3", ...)
    conformance.reference.provider:  Provider(settings).run(stop=None, once=False, duration=None), .poll_once()
    conformance.reference.consumer:  Consumer(settings).send(type), .poll_once(), .exchange(type, seed=, timeout=)
    conformance.reference.runner:    start_provider(settings) / start_consumer(settings) -> RunningParticipant
    conformance.reference.variants:  VARIANTS (name -> Variant(mistake, finding, behaviour, roles)), variant(name)
    conformance.reference.bus_setup: reference_types(), reference_credentials(provider_variant, consumer_variant)
    conformance.reference.identity:  PROVIDER, CONSUMER (mnemonics), identity(name), KEYS_DIR
    conformance.reference.participants: participant.yaml of the reference and of every variant

Command line: python -m conformance.reference provider|consumer --bus URL [--state FILE] [--variant NAME]
[--once | --for SECONDS]; `python -m conformance.reference variants` prints the table.
"""
