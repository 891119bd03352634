"""GitHub's REST API, for the one thing busctl does there: create or update its pull-request comment.

The token comes from the environment (GITHUB_TOKEN, or GH_TOKEN) and goes only into the Authorization
header: it is never printed, logged or part of an error message.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from busctl.core.diagnostics import BusctlError

PAGE_SIZE = 100
MAX_PAGES = 30  # 3,000 comments: a bound, not a limit anyone meets
TIMEOUT = 30.0


@dataclass(frozen=True)
class PullRequest:
    """A pull request and how to reach the API it lives in."""

    api_url: str
    repository: str  # owner/name
    number: int
    token: str = field(repr=False)


def pull_request_from_env(environ: Mapping[str, str], number: int | None = None) -> PullRequest:
    """The pull request of the running workflow (GITHUB_REPOSITORY, GITHUB_EVENT_PATH), or `number`."""
    token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN")
    if not token:
        raise BusctlError(
            "GITHUB_TOKEN is not set: cannot post the pull-request comment",
            "in the workflow: env: {GITHUB_TOKEN: ${{ github.token }}} and permissions: "
            "{pull-requests: write}",
        )
    repository = environ.get("GITHUB_REPOSITORY", "")
    if "/" not in repository:
        raise BusctlError("GITHUB_REPOSITORY (owner/name) is not set", "run in GitHub Actions, or export it")
    if number is None:
        number = _event_number(environ.get("GITHUB_EVENT_PATH"))
    api = environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    return PullRequest(api_url=api, repository=repository, number=number, token=token)


def _event_number(path: str | None) -> int:
    try:
        event = json.loads(Path(path or "").read_text("utf-8")) if path else {}
    except (OSError, ValueError) as err:
        raise BusctlError(f"cannot read the workflow event {path}: {err}") from None
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    if not isinstance(number, int):
        raise BusctlError(
            "this is not a pull_request event: no pull request to comment on",
            "run `busctl comment --post` in a pull_request workflow, or pass --pr NUMBER",
        )
    return number


def upsert_comment(pr: PullRequest, body: str, marker: str) -> tuple[str, str]:
    """Update the pull request's comment that contains `marker`, or create one.
    Returns ("created" | "updated", the comment's URL)."""
    base = f"/repos/{pr.repository}/issues"
    for page in range(1, MAX_PAGES + 1):
        comments = _call(pr, "GET", f"{base}/{pr.number}/comments?per_page={PAGE_SIZE}&page={page}")
        for comment in comments:
            if marker in (comment.get("body") or ""):
                updated = _call(pr, "PATCH", f"{base}/comments/{comment['id']}", {"body": body})
                return "updated", str(updated.get("html_url", ""))
        if len(comments) < PAGE_SIZE:
            break
    created = _call(pr, "POST", f"{base}/{pr.number}/comments", {"body": body})
    return "created", str(created.get("html_url", ""))


def _call(pr: PullRequest, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        pr.api_url + path,
        method=method,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={
            "Authorization": f"Bearer {pr.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "busctl",
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        raise BusctlError(
            f"GitHub answered {err.code} to {method} {path}: {_message(err)}",
            "the workflow needs permissions: pull-requests: write (and issues: write)"
            if err.code in (401, 403, 404)
            else "retry; GitHub may be having trouble",
        ) from None
    except (urllib.error.URLError, TimeoutError) as err:
        raise BusctlError(f"cannot reach {pr.api_url}: {getattr(err, 'reason', err)}") from None


def _message(err: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(err.read()).get("message", err.reason))
    except (ValueError, AttributeError):
        return str(err.reason)
