"""Rules tying topics to protobuf messages: exactly one message type per topic, owned by the topic's team."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from busctl.core.diagnostics import Diagnostic, Severity, Span, did_you_mean
from busctl.core.model import KEY_KINDS
from busctl.core.ownership import schema_owner
from busctl.rules.base import LintContext, Rule, register


def _unknown_message(ctx: LintContext, fqn: str) -> tuple[str, str]:
    if fqn in ctx.schemas.enums:
        return (
            f'"{fqn}" is an enum, not a message',
            "a topic carries a message type; wrap the enum in a message",
        )
    package, _, short = fqn.rpartition(".")
    siblings = {m.rpartition(".")[2]: m for m in ctx.schemas.messages if m.rpartition(".")[0] == package}
    close = difflib.get_close_matches(short, siblings, n=2, cutoff=0.75)
    same_name = [m for m in ctx.schemas.messages if m.rpartition(".")[2] == short]
    suggestions = [siblings[c] for c in close] or same_name
    if suggestions:
        hint = "did you mean " + " or ".join(f'"{m}"' for m in suggestions) + "?"
    elif package:
        hint = f"define message {short} in package {package} under {ctx.bus.config.schemas.root}/"
    else:
        hint = "use the fully qualified name: package.Message"
    return f'message "{fqn}" is not defined in {ctx.bus.config.schemas.root}/', hint


@register
class BufConfigPresent(Rule):
    """The schema module has a buf.yaml, so buf lint and breaking checks use the team's rules.

    **Bad**:  schemas/ without buf.yaml
    **Good**: schemas/buf.yaml with `version: v2`
    """

    reads_schemas = True
    id = "BUS300"
    name = "schema.buf-config"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        root = ctx.bus.config.schemas.root
        if (ctx.bus.root / root).is_dir() and not (ctx.bus.root / root / "buf.yaml").is_file():
            yield self.finding(
                f"{root}/buf.yaml is missing",
                Span(root),
                "add one: version: v2, lint: {use: [STANDARD]}, breaking: {use: [WIRE_JSON]}",
            )


@register
class SchemaMessageExists(Rule):
    """A topic's `schema` names a message defined in the schema module.

    **Bad**:  `schema: acme.billing.v1.InvoiceCreatd`
    **Good**: `schema: acme.billing.v1.InvoiceCreated`
    """

    reads_schemas = True
    id = "BUS302"
    name = "schema.message-exists"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        if not ctx.schemas.compiled:
            return
        for decl in ctx.bus.topics:
            if ctx.schemas.message(decl.topic.schema_) is None:
                message, hint = _unknown_message(ctx, decl.topic.schema_)
                yield self.finding(message, decl.source.at("schema"), hint)


@register
class KeyValid(Rule):
    """A topic's `key` is string, bytes, none or a message defined in the schema module.

    **Bad**:  `key: int`
    **Good**: `key: string` or `key: acme.zones.v1.ZoneKey`
    """

    reads_schemas = True
    id = "BUS303"
    name = "schema.key-valid"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.topics:
            key = decl.topic.key
            if key in KEY_KINDS:
                continue
            if "." not in key:
                yield self.finding(
                    f'key "{key}" is not string, bytes, none or a message name',
                    decl.source.at("key"),
                    did_you_mean(key, KEY_KINDS)
                    or "use string, bytes, none or a fully qualified protobuf message",
                )
            elif ctx.schemas.compiled and ctx.schemas.message(key) is None:
                message, hint = _unknown_message(ctx, key)
                yield self.finding(message, decl.source.at("key"), hint)


@register
class SchemaOwnedByTopicOwner(Rule):
    """A topic's message lives in a schema directory owned by the topic's owner team.

    **Bad**:  billing topic with `schema: acme.audit.v1.AuditEvent`
    **Good**: billing topic with `schema: acme.billing.v1.InvoiceCreated` (acme/billing owned by billing)
    """

    reads_schemas = True
    needs_teams = True
    id = "BUS304"
    name = "schema.owned-by-topic-owner"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for decl in ctx.bus.topics:
            message = ctx.schemas.message(decl.topic.schema_)
            if message is None or decl.topic.owner not in ctx.bus.teams:
                continue
            claim = schema_owner(ctx.bus, message.file)
            if claim is None or claim.team != decl.topic.owner:
                owner = f"team {claim.team}" if claim else "no team"
                yield self.finding(
                    f"{decl.topic.schema_} is defined in {message.file}, owned by {owner}, "
                    f"not by the topic owner {decl.topic.owner}",
                    decl.source.at("schema"),
                    f"move the message under one of {decl.topic.owner}'s schema directories "
                    f"({', '.join(ctx.bus.teams[decl.topic.owner].schemas) or 'none in teams.yaml'})",
                )


@register
class OneMessagePerTopicFile(Rule):
    """A topic's message is the only top-level message of its .proto file (opt-in).

    Off by default: buf, protoc and Confluent's serializers accept files defining several messages,
    and "one message type per topic" only asks that a topic's `schema:` names exactly one message.
    A repo that wants one file per topic message turns it on with `policy: {rules: {BUS305: error}}`
    (or `warning`); a nested message is then refused as a topic's schema too.

    **Bad**:  (BUS305 on) invoice_created.proto defining InvoiceCreated and InvoiceLine at top level
    **Good**: InvoiceLine nested in InvoiceCreated, or in its own file
    """

    reads_schemas = True
    id = "BUS305"
    name = "schema.one-message-per-file"
    opt_in = True

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        reported: set[str] = set()
        for decl in ctx.bus.topics:
            message = ctx.schemas.message(decl.topic.schema_)
            if message is None or message.fqn in reported:
                continue
            reported.add(message.fqn)
            if not message.top_level:
                yield self.finding(
                    f"topic {decl.topic.name}'s message {message.fqn} is nested inside another message",
                    decl.source.at("schema"),
                    "policy.rules turns BUS305 on: a topic carries a top-level message, move it to its "
                    "own file",
                )
                continue
            others = [m for m in ctx.schemas.files[message.file].top_level_messages if m != message.fqn]
            if others and message.file not in reported:
                reported.add(message.file)
                yield self.finding(
                    f"{message.file} holds topic {decl.topic.name}'s message but also defines "
                    f"{', '.join(others)}",
                    decl.source.at("schema"),
                    "policy.rules turns BUS305 on: move the other messages to their own files or nest them",
                )


_NAMED_TOPICS = 3  # BUS306 names this many topics, then "and N more"


@register
class MessageCarriedOnce(Rule):
    """A message type is the value schema of one topic only, so its owner and consumers are unambiguous.

    Reported once per shared message, at its definition (or, when it is not defined, at the first
    topic's `schema:`), naming the topics that carry it. Tombstoned topics do not count.

    **Bad**:  two topics with `schema: acme.billing.v1.InvoiceCreated`
    **Good**: one topic per message type (copy the message for a new topic version)
    """

    reads_schemas = True
    id = "BUS306"
    name = "schema.message-carried-once"
    severity = Severity.WARNING

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for fqn, decls in ctx.bus.topics_by_message.items():
            carriers = [d for d in decls if d.topic.schema_ == fqn and d.topic.lifecycle != "deleted"]
            if len(carriers) < 2:
                continue
            names = sorted(d.topic.name for d in carriers)
            more = len(names) - _NAMED_TOPICS
            listed = ", ".join(names[:_NAMED_TOPICS]) + (f" and {more} more" if more > 0 else "")
            message = ctx.schemas.message(fqn)
            yield self.finding(
                f"message {fqn} is the schema of {len(names)} topics: {listed}",
                message.span if message is not None else carriers[0].source.at("schema"),
                "give each topic its own message type",
            )
