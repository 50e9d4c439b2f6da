"""The reference SMEV 3 participant (a provider and a consumer of the sample types) and its broken twins.

Public API:
    conformance.reference.common:    Settings(bus_url, state=":memory:", variant=REFERENCE, version="1.3", ...)
    conformance.reference.provider:  Provider(settings).run(stop=None, once=False, duration=None), .poll_once()
    conformance.reference.consumer:  Consumer(settings).send(type), .poll_once(), .exchange(type, seed=, timeout=)
    conformance.reference.runner:    start_provider(settings) / start_consumer(settings, trigger=(host, port))
                                     -> RunningParticipant(.stop(), .crash_and_restart(), .trigger.url)
    conformance.reference.trigger:   serve_trigger(consumer, host, port): POST /send?type=NAME makes it send
    conformance.reference.variants:  VARIANTS (name -> Variant(mistake, finding, behaviour, roles)), variant(name),
                                     Variant.finding_for(role), Variant.named_for(role) -> Named(case, rule, text)
    conformance.reference.mutation:  mutation_score(role, suite, RunSettings, names=, types=, only_named_case=)
                                     -> (MutationReport(.score "13/13 caught, 13/13 named", .as_dict(), .text(),
                                     .meta(), .holds), runs); run_variant(variant, role, suite, settings, types=)
    conformance.reference.bus_setup: reference_types(), reference_credentials(provider=variant, consumer=variant)
    conformance.reference.identity:  PROVIDER, CONSUMER (mnemonics), identity(name), ca_certificate(), KEYS_DIR
    conformance.reference.participant_files: DIRECTORY, REGISTRY_FILE; `participants/` holds participant.yaml of the
                                     reference and of every twin, the reference registry, no-data requests, README

Command line: python -m conformance.reference provider|consumer --bus URL [--state FILE] [--variant NAME]
[--once | --for SECONDS]; the consumer also --type NAME, --no-wait, --serve-trigger HOST:PORT;
`python -m conformance.reference variants` prints the table.
"""
