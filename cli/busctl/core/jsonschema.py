"""JSON Schemas derived from pydantic models: of the bus files, for editors (yaml-language-server), and
of the report documents (busctl.reports.registry)."""

from __future__ import annotations

import json

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from busctl.core.model import BusConfig, Connector, TeamsFile, Topic

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILES: dict[str, tuple[type[BaseModel], str]] = {
    "topic": (Topic, "A busctl topic file: topics/<team>/<topic>.yaml"),
    "connector": (Connector, "A busctl connector file: connectors/<team>/<name>.yaml"),
    "teams": (TeamsFile, "busctl teams.yaml: teams, their chat rooms, GitHub handles and schema paths"),
    "bus": (BusConfig, "busctl bus.yaml: clusters, defaults, policy, alert settings"),
}


def json_schema(kind: str) -> str:
    """The JSON Schema text (stable, indented) of one file kind: topic, connector, teams or bus."""
    return model_schema(*FILES[kind], mode="validation")


def model_schema(model: type[BaseModel], title: str, mode: JsonSchemaMode) -> str:
    """The JSON Schema text of a model: of what it accepts (validation) or what it writes (serialization)."""
    schema = {"$schema": DIALECT, **model.model_json_schema(by_alias=True, mode=mode)}
    schema["title"] = title
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_files(kinds: list[str] | None = None) -> dict[str, str]:
    """File name -> schema text for `kinds` (default: all): {"topic.schema.json": ...}."""
    return {f"{kind}.schema.json": json_schema(kind) for kind in kinds or FILES}
