"""`busctl init DIR`: scaffold a new bus repo that passes `busctl lint` as it is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from busctl import __version__
from busctl.commands.generated import sync
from busctl.core.codeowners import CODEOWNERS_PATH, generate
from busctl.core.diagnostics import BusctlError
from busctl.core.jsonschema import schema_files
from busctl.loading.bus import load_bus
from busctl.render.alerts import render_alerts
from busctl.render.templates import template_environment

ACTION = f"acme/busctl@v{__version__}"  # the published composite action (action.yml) at this release's tag
WORKFLOWS = ("busctl-pull-request.yml", "busctl-main.yml")
_TEAM = re.compile(r"^[a-z][a-z0-9-]*$")
_GITHUB_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")  # GitHub's login rule
_PACKAGE_ROOT = re.compile(r"^[a-z][a-z0-9]*$")
_ACTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*@[A-Za-z0-9._/-]+$")


def command(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to create the bus repo (new or empty).")
    ],
    team: Annotated[
        str, typer.Option("--team", metavar="TEAM", help="The platform team that owns the bus.")
    ] = "platform",
    github_org: Annotated[
        str,
        typer.Option("--github-org", metavar="ORG", help="GitHub organisation (team handles @ORG/TEAM)."),
    ] = "acme",
    package_root: Annotated[
        str | None,
        typer.Option(
            "--package-root",
            metavar="ROOT",
            help="Protobuf package root. [default: the organisation, lowercase, without -]",
        ),
    ] = None,
    action: Annotated[
        str,
        typer.Option(
            "--action",
            metavar="OWNER/REPO@REF",
            help="The busctl action the workflows use (pin a tag or SHA).",
        ),
    ] = ACTION,
) -> int:
    """Create a new bus repo that passes lint.

    Create a bus repo: bus.yaml, teams.yaml, an example topic and its .proto, a buf module,
    editor schemas, GitHub workflows (pull request: lint, check, plan, comment; main: apply), and
    the generated alerts/ and CODEOWNERS. It passes `busctl lint` immediately.

    Example: busctl init --team platform --github-org acme-corp ./bus
    """
    if not _TEAM.match(team):
        raise BusctlError(f'team "{team}" is not a valid team name', "use lowercase letters, digits and -")
    if not _GITHUB_ORG.match(github_org):
        raise BusctlError(
            f'--github-org "{github_org}" is not a valid GitHub organisation',
            "use up to 39 letters, digits and single hyphens, not at the start or end",
        )
    if package_root is None:
        package_root = github_org.lower().replace("-", "")
    if not _PACKAGE_ROOT.match(package_root):
        raise BusctlError(
            f'package root "{package_root}" is not a valid protobuf package root',
            "give --package-root of lowercase letters and digits, starting with a letter",
        )
    if not _ACTION.match(action):
        raise BusctlError(
            f'--action "{action}" is not an action reference',
            f"use OWNER/REPO@REF, e.g. {ACTION} or the action's full commit SHA after @",
        )
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BusctlError(
            f"{directory} exists and is not empty; nothing was written",
            "choose a new directory (busctl init never overwrites files)",
        )
    proto_team = team.replace("-", "_")
    files = {
        "bus.yaml": "bus.yaml.j2",
        "teams.yaml": "teams.yaml.j2",
        f"topics/{team}/example-events.yaml": "topic.yaml.j2",
        "schemas/buf.yaml": "buf.yaml.j2",
        f"schemas/{package_root}/{proto_team}/v1/example_event.proto": "example_event.proto.j2",
        ".gitignore": "gitignore.j2",
        "templates/README.md": "templates_readme.md.j2",
        **{f".github/workflows/{name}": f"workflows/{name}.j2" for name in WORKFLOWS},
    }
    env = template_environment(directory)
    context = {
        "team": team,
        "github_org": github_org,
        "package_root": package_root,
        "proto_team": proto_team,
        "action": action,
    }
    wanted = {path: env.get_template(f"init/{name}").render(**context) for path, name in files.items()}
    wanted |= {f".busctl/{name}": text for name, text in schema_files().items()}
    root = directory.resolve()
    sync(root, wanted, "busctl init", check=False)
    bus, report = load_bus(root)
    if report.errors:
        raise BusctlError("the scaffold does not load; this is a bug in busctl", str(report.errors[0]))
    generated = {CODEOWNERS_PATH: generate(bus), **render_alerts(root, bus)}
    sync(root, generated, "busctl init", check=False)
    typer.echo(
        f"\nA bus repo is ready in {directory}. Next:\n"
        f"  cd {directory} && git init -b main && busctl lint\n"
        f"  edit teams.yaml (chat rooms, GitHub handles) and declare topics in topics/<team>/\n"
        f"  busctl plan --cluster local    # against a Kafka on 127.0.0.1:9092\n"
        f"  on GitHub: add the secrets named in .github/workflows/busctl-*.yml"
    )
    return 0
