"""Adapters: the only modules that talk to external systems (protoc, buf, git, Kafka, promtool)."""
