"""Topic `exemptions:`: a lint rule that does not apply to one topic, on purpose (a brownfield name).

An exempted finding is never dropped: it stays, as a note saying it is exempted and why. Only lint
rules bus.yaml `policy.rules` could change may be exempted; BUS121 reports the others and BUS122 an
exemption that exempts nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from busctl.core.bus import Bus
from busctl.core.diagnostics import Diagnostic, Severity, did_you_mean
from busctl.rules.base import LintContext, Reported, Rule, register, registered


def why_not_exemptable(code: str) -> str:
    """Why a rule id cannot be exempted ("" when it can): only unlocked lint rules can."""
    entry = registered().get(code)
    if entry is None:
        return "it names no rule"
    if entry.family == "check":
        return "it is a check rule, about changes: breaks are approved, not exempted"
    if entry.locked:
        return f"it is locked: {entry.locked}"
    if not issubclass(entry, Rule):
        return "it is not a rule that looks at topics"
    return ""


@register
class ExemptionRule(Rule):
    """An exemption names a lint rule that can be exempted, with a reason.

    Exemptions keep an existing topic under management although it breaks a rule (a legacy name).
    Load errors, check rules and locked rules (`busctl rules` says why, per rule) cannot be exempted.

    **Bad**:  `exemptions: [{rule: BUS113, reason: legacy}]` (Kafka refuses the name anyway)
    **Good**: `exemptions: [{rule: BUS101, reason: "predates the naming policy"}]`
    """

    id = "BUS121"
    name = "topic.exemption-rule"
    locked = "it reports exemptions that cannot take effect"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        known = registered()
        by_name = {entry.name: entry.id for entry in known.values()}
        for decl in ctx.bus.topics:
            for index, exemption in enumerate(decl.topic.exemptions):
                code = exemption.rule
                problem = why_not_exemptable(code)
                if not problem:
                    continue
                if code in by_name:
                    hint = f'exemptions name a rule by its id: "{by_name[code]}"'
                elif code not in known:
                    candidates = [c for c in known if not why_not_exemptable(c)]
                    hint = did_you_mean(code.upper(), candidates) or "`busctl rules` lists the rule ids"
                elif known[code].family == "check":
                    hint = (
                        "remove it; approve the break in the change making it: "
                        f"approvals: [{{rule: {code}, reason: …}}]"
                    )
                else:
                    hint = "remove the exemption; the finding must be fixed"
                yield self.finding(
                    f"{code} cannot be exempted: {problem}",
                    decl.source.at("exemptions", index, "rule"),
                    hint,
                    subject=decl.topic.name,
                )


@register
class ExemptionUnused(Reported):
    """An exemption exempts a finding: one that exempts nothing is stale.

    The topic was fixed (renamed, resized) or the rule is off in policy.rules: remove the exemption,
    so a later break of the rule is reported again.

    **Bad**:  `exemptions: [{rule: BUS101, reason: legacy}]` on `name: billing.invoice-created.v1`
    **Good**: no exemption on a topic that follows the rule
    """

    id = "BUS122"
    name = "topic.exemption-unused"
    family = "lint"
    severity = Severity.WARNING
    locked = "exempting or turning it off would let stale exemptions hide future findings"


def exempted(bus: Bus, findings: list[Diagnostic]) -> list[Diagnostic]:
    """`findings` with those a topic exempts (the finding is in the topic's file, or names the topic as
    its subject) turned into notes saying so and why, plus BUS122 for each exemption that exempts
    none of them."""
    exempting = [decl for decl in bus.topics if decl.topic.exemptions]
    by_file = {decl.file: decl for decl in exempting}
    by_name = {decl.topic.name: decl for decl in exempting}
    used: set[tuple[str, int]] = set()
    result = []
    for finding in findings:
        for decl in (by_file.get(finding.span.file), by_name.get(finding.subject)):
            if decl is None:
                continue
            index = next((i for i, e in enumerate(decl.topic.exemptions) if e.rule == finding.code), None)
            if index is None or why_not_exemptable(finding.code):
                continue
            used.add((decl.file, index))
            span = decl.source.at("exemptions", index)
            finding = dataclasses.replace(
                finding,
                severity=Severity.NOTE,
                message=f"exempted: {finding.message}",
                hint=f"exempted at {span}: {decl.topic.exemptions[index].reason}",
            )
            break
        result.append(finding)
    for decl in exempting:
        for index, exemption in enumerate(decl.topic.exemptions):
            if (decl.file, index) in used or why_not_exemptable(exemption.rule):
                continue
            result.append(
                ExemptionUnused.finding(
                    f"the exemption from {exemption.rule} exempts nothing: {decl.topic.name} has no "
                    f"{exemption.rule} finding",
                    decl.source.at("exemptions", index),
                    "remove it (is the rule off in policy.rules, or was the topic fixed?)",
                    subject=decl.topic.name,
                )
            )
    return result
