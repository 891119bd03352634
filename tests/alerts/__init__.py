"""Tests of `busctl alerts`: generation, templates, exporter dialects."""

CONSUMER_TOPIC = """\
name: audit.events.v1
owner: audit
description: Audit events.
schema: acme.audit.v1.AuditEvent
consumers:
{consumers}
"""
