"""Rules about free text in any bus file: what YAML silently drops from it."""

from __future__ import annotations

from collections.abc import Iterator

from busctl.core.diagnostics import Diagnostic, Severity, Span
from busctl.core.source import SourceMap
from busctl.rules.base import LintContext, Rule, register


@register
class CommentCutsText(Rule):
    """A free-text value (description, reason, chat) is not followed by a comment on its line.

    In a plain YAML value, " #" starts a comment: `reason: approved, audit agreed in #billing` keeps only
    "approved, audit agreed in", and `chat: #billing` is empty.

    **Bad**:  `reason: approved, audit agreed in #billing`
    **Good**: `reason: "approved, audit agreed in #billing"`
    """

    id = "BUS115"
    name = "text.comment-cuts-value"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        sources = [ctx.bus.config_source, ctx.bus.teams_source, *(decl.source for decl in ctx.bus.topics)]
        for source in sources:
            yield from self._comments(source)

    def _comments(self, source: SourceMap) -> Iterator[Diagnostic]:
        for path, (line, column, comment, kept) in sorted(source.comments.items(), key=lambda i: i[1]):
            field = str(path[-1])
            shown = comment if len(comment) <= 60 else comment[:57] + "..."
            whole = f"{kept} {comment}".strip().replace("\\", "\\\\").replace('"', '\\"')
            yield self.finding(
                f'{field} ends at a comment: YAML drops "{shown}" from the value (" #" starts a comment)'
                + (f', keeping "{kept}"' if kept else ", leaving it empty"),
                Span(source.file, line, column),
                f'quote the whole value to keep the text ({field}: "{whole}"), '
                "or put the comment on a line of its own",
            )
