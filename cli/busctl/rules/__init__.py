"""Lint rules, one class per rule, registered by id (BUS1xx topics and bus.yaml settings, BUS2xx teams,
BUS3xx schemas, BUS4xx configs). Load errors (BUS0xx) come from `busctl.loading`; buf findings are
`buf:<RULE>`."""
