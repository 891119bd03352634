"""busctl's jinja2 templates: built into the package, each overridable by the repo's templates/.

Prometheus and Alertmanager use `{{ }}` themselves, so busctl's templates use `[[ value ]]`,
`[% statement %]` and `[# comment #]`.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

BUILTIN_TEMPLATES = Path(__file__).parent.parent / "templates"


def template_environment(repo: Path) -> jinja2.Environment:
    """busctl's jinja2 environment: the repo's templates/ first, then the built-in ones."""
    loaders = [jinja2.FileSystemLoader(repo / "templates"), jinja2.FileSystemLoader(BUILTIN_TEMPLATES)]
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        variable_start_string="[[",
        variable_end_string="]]",
        block_start_string="[%",
        block_end_string="%]",
        comment_start_string="[#",
        comment_end_string="#]",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
