"""The Kafka layer: topic catalogue, client configs, producer, consumer runner, DLQ, embedded broker.

Services use only this package to talk to Kafka; none builds a raw client config.
"""
