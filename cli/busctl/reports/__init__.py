"""Typed report documents: what each command prints with `--format json` (and saves with `--out`).

One pydantic model per command report, in a module of its own here (`reports/plan.py`, ...), built
from the command's domain result by a `from_...` function next to the model. Every model derives from
`Document`: extra fields are refused, so a document that drifts from its model fails loudly. All of
them are written by `busctl.render.json.as_json` and listed in `reports.registry.REPORTS`, from which
`busctl editor-schema` publishes their JSON Schemas.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError


class Document(BaseModel):
    """Base of every report model: strict (no extra fields), immutable once built."""

    model_config = ConfigDict(extra="forbid", frozen=True)


D = TypeVar("D", bound=Document)


def validated(model: type[D], data: object) -> D:
    """`data` (parsed JSON) read as `model`; ValueError naming the first field that is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        raise ValueError(f"{where}: {first['msg']}") from None
