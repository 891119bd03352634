"""`busctl codeowners`: write .github/CODEOWNERS from teams.yaml and the topic files."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import typer

from busctl.commands.common import (
    OutputFormat,
    RepoOption,
    TextJsonFormatOption,
    repository_directory,
    wants_json,
)
from busctl.commands.generated import print_outcome, read_current, reconcile
from busctl.core.bus import Bus
from busctl.core.codeowners import (
    CODEOWNERS_PATH,
    HEADER,
    LOCATIONS,
    BlockError,
    Codeowners,
    codeowners,
    place,
)
from busctl.core.diagnostics import BusctlError
from busctl.loading.bus import load_bus
from busctl.render.json import as_json
from busctl.reports.codeowners import codeowners_report


def command(
    repo: RepoOption = Path("."),
    check: bool = typer.Option(
        False, "--check", help="Do not write; exit 1 if the file is missing or stale."
    ),
    output: TextJsonFormatOption = OutputFormat.text,
) -> int:
    """Generate .github/CODEOWNERS from the declarations.

    Generate .github/CODEOWNERS: topic files and schema directories to their owner teams,
    bus.yaml, teams.yaml and CI files to policy.platform_team. A bus in a directory of a larger
    repository (a monorepo's bus/) keeps its own block of the repository's CODEOWNERS, its paths
    under that directory; the repository's other lines are left as they are.

    --format json prints the entries (pattern -> owners) and, with --check, the lines out of sync.

    Example: busctl codeowners --check
    """
    as_document = wants_json(output, "codeowners")
    bus, report = load_bus(repo.resolve())
    if report.errors:
        raise BusctlError(
            f"{len(report.errors)} error(s) in the bus files; CODEOWNERS was not generated",
            "run `busctl lint` and fix them first",
        )
    generated, wanted, owned = codeowners_files(repo, bus)
    files = reconcile(repo, wanted, check, owned)
    file = next(f for f in files if f.path in wanted)
    if as_document:
        typer.echo(as_json(codeowners_report(generated, file, check)), nl=False)
    else:
        print_outcome(files, wanted, "busctl codeowners")
    return 0 if all(f.in_sync for f in files) else 1


def codeowners_files(repo: Path, bus: Bus) -> tuple[Codeowners, dict[str, str], list[str]]:
    """What `busctl codeowners` keeps for the bus repo `repo`: the entries, the file wanted (its path
    relative to `repo` -> text) and a file it wrote before that GitHub would not read (to remove).

    At the top of its git repository (or outside git) the bus owns .github/CODEOWNERS. In a
    directory of one, it owns a block of the repository's CODEOWNERS (the first of GitHub's
    locations that exists, else .github/CODEOWNERS), and a .github/CODEOWNERS it generated inside
    the bus directory is obsolete: GitHub reads only the repository's."""
    root = repository_directory(repo)
    generated = codeowners(bus, root)
    if not root:
        return generated, {CODEOWNERS_PATH: generated.text}, []
    up = "/".join([".."] * len(PurePosixPath(root).parts))
    top = (repo.resolve() / up).resolve()
    location = next((name for name in LOCATIONS if (top / name).is_file()), LOCATIONS[0])
    path = f"{up}/{location}"
    current = read_current(top / location)
    try:
        text = place(current, generated.text, root)
    except BlockError as err:
        raise BusctlError(
            f"{path}: {err}; nothing was written",
            "restore the block's BEGIN and END lines, or delete the block and run `busctl codeowners`",
        ) from None
    inside = repo / CODEOWNERS_PATH
    ours = inside.is_file() and inside.read_text("utf-8", errors="replace").startswith(HEADER.splitlines()[0])
    return generated, {path: text}, [CODEOWNERS_PATH] if ours else []
