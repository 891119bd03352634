"""`busctl init DIR`: scaffold a new bus repo that passes `busctl lint` as it is."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer

from busctl import __version__
from busctl.adapters import git
from busctl.commands.codeowners import codeowners_files
from busctl.commands.generated import sync
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
    if directory.exists() and (not directory.is_dir() or any(p.name != ".git" for p in directory.iterdir())):
        raise BusctlError(
            f"{directory} exists and is not empty; nothing was written",
            "choose a new directory (busctl init never overwrites files)",
        )
    target = directory.resolve()
    bus_directory = _directory_in_repository(target)
    depth = len(PurePosixPath(bus_directory).parts) if bus_directory else 0
    top = target.parents[depth - 1] if depth else target  # (where the workflows go)
    workflows = {"/".join([*[".."] * depth, ".github/workflows", name]): name for name in WORKFLOWS}
    for name in WORKFLOWS:
        if (top / ".github/workflows" / name).exists():
            raise BusctlError(
                f"{top / '.github/workflows' / name} exists; nothing was written",
                "busctl init never overwrites files: move it away, or add busctl's steps to it by hand "
                "(README: GitHub, a bus in a monorepo)",
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
        **{path: f"workflows/{name}.j2" for path, name in workflows.items()},
    }
    env = template_environment(directory)
    context = {
        "team": team,
        "github_org": github_org,
        "package_root": package_root,
        "proto_team": proto_team,
        "action": action,
        "working_directory": bus_directory,
    }
    wanted = {path: env.get_template(f"init/{name}").render(**context) for path, name in files.items()}
    wanted |= {f".busctl/{name}": text for name, text in schema_files().items()}
    sync(target, wanted, "busctl init", check=False)
    bus, report = load_bus(target)
    if report.errors:
        raise BusctlError("the scaffold does not load; this is a bug in busctl", str(report.errors[0]))
    _, owners, _ = codeowners_files(target, bus)
    sync(target, {**owners, **render_alerts(target, bus)}, "busctl init", check=False)
    if bus_directory:
        first = f"  cd {directory} && busctl lint\n  commit {bus_directory}/ and the repository's .github/\n"
    elif (target / ".git").exists():
        first = f"  cd {directory} && busctl lint\n"
    else:
        first = f"  cd {directory} && git init -b main && busctl lint\n"
    typer.echo(
        f"\nA bus repo is ready in {directory}. Next:\n"
        + first
        + "  edit teams.yaml (chat rooms, GitHub handles) and declare topics in topics/<team>/\n"
        "  busctl plan --cluster local    # against a Kafka on 127.0.0.1:9092\n"
        "  on GitHub: add the secrets named in .github/workflows/busctl-*.yml"
    )
    return 0


def _directory_in_repository(target: Path) -> str:
    """Where the new bus `target` (absolute, maybe not there yet) will be in the git repository that
    holds it: "" outside git, or at the top of a repository (`git init` first, then `busctl init .`);
    else its directory, e.g. `bus` in a monorepo, whose workflows go in the repository's .github/."""
    existing = next(p for p in (target, *target.parents) if p.exists())
    above = git.directory_in_repository(existing)
    if above is None:
        return ""
    below = target.relative_to(existing).as_posix()
    return "/".join(part for part in (above, below) if part and part != ".")
