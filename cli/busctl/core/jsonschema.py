"""JSON Schemas of the bus files, derived from the model, for editors (yaml-language-server)."""

from __future__ import annotations

import json

from pydantic import BaseModel

from busctl.core.model import BusConfig, TeamsFile, Topic

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILES: dict[str, tuple[type[BaseModel], str]] = {
    "topic": (Topic, "A busctl topic file: topics/<team>/<topic>.yaml"),
    "teams": (TeamsFile, "busctl teams.yaml: teams, their chat rooms, GitHub handles and schema paths"),
    "bus": (BusConfig, "busctl bus.yaml: clusters, defaults, policy, alert settings"),
}


def json_schema(kind: str) -> str:
    """The JSON Schema text (stable, indented) of one file kind: topic, teams or bus."""
    model, title = FILES[kind]
    schema = {"$schema": DIALECT, **model.model_json_schema(by_alias=True)}
    schema["title"] = title
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_files(kinds: list[str] | None = None) -> dict[str, str]:
    """File name -> schema text for `kinds` (default: all): {"topic.schema.json": ...}."""
    return {f"{kind}.schema.json": json_schema(kind) for kind in kinds or FILES}
