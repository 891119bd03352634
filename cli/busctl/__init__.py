"""busctl: GitOps topic provisioning, protobuf schemas and lag alerts for Apache Kafka."""

__version__ = "0.1.0"
