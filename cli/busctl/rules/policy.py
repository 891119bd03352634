"""bus.yaml `policy.rules`: the severities a repo sets for busctl's rules."""

from __future__ import annotations

from collections.abc import Iterator

from busctl.core.bus import Bus
from busctl.core.diagnostics import Diagnostic, Severity, did_you_mean
from busctl.rules.base import LintContext, Reported, Rule, overrides, register, registered


@register
class RuleSettings(Rule):
    """bus.yaml `policy.rules` changes only rules that exist and can be changed.

    Load errors and the rules that keep plan, apply and alerts safe are locked (`busctl rules` says
    why, per rule). Lint shows the settings in effect as one note (BUS117).

    **Bad**:  `policy: {rules: {BUS2O4: error, BUS001: off}}`
    **Good**: `policy: {rules: {BUS204: error, BUS105: off}}`
    """

    id = "BUS116"
    name = "policy.rule-settings"
    locked = "it reports bus.yaml's own rule settings"

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        known = registered()
        settings = ctx.bus.config.policy.rules
        source = ctx.bus.config_source
        for code in settings:
            entry = known.get(code)
            span = source.key_at("policy", "rules", code)
            if entry is None:
                if code.startswith("buf:"):
                    hint = "buf rules are set in the schema module's buf.yaml"
                elif code.upper() in known:
                    hint = f'rule ids are upper case: "{code.upper()}"'
                else:
                    hint = did_you_mean(code, known) or "`busctl rules` lists the rule ids"
                yield self.finding(f'policy.rules names no rule: "{code}"', span, hint)
            elif entry.locked:
                yield self.finding(
                    f"{code} ({entry.name}) cannot be changed: {entry.locked}",
                    span,
                    f"remove {code} from policy.rules",
                )


@register
class RuleSettingsInEffect(Reported):
    """Lint notes the rule settings bus.yaml changes, so no reader overlooks them.

    One note at `policy.rules`, listing each setting in effect with the rule's default.

    **Bad**:  a warning turned off, unnoticed by whoever reads the lint output
    **Good**: `note BUS117 rule settings in effect: BUS105 off (default warning)`
    """

    id = "BUS117"
    name = "policy.rule-settings-in-effect"
    family = "lint"
    severity = Severity.NOTE
    locked = "it shows what bus.yaml changed; hiding it would hide the changes"


def settings_note(bus: Bus) -> list[Diagnostic]:
    """BUS117: one note listing the `policy.rules` settings in effect; none when there are none."""
    in_effect = overrides(bus.config.policy.rules)
    if not in_effect:
        return []
    known = registered()
    listed = ", ".join(
        f"{code} {setting} (default {known[code].default()})" for code, setting in sorted(in_effect.items())
    )
    return [
        RuleSettingsInEffect.finding(
            f"rule settings in effect: {listed}", bus.config_source.key_at("policy", "rules")
        )
    ]
