"""Renderers: values (diagnostics, ownership, plans) -> text for people, JSON for machines, CI annotations."""
