"""The Kafka Connect adapter: a Connect cluster's REST API over httpx. It reads what a plan needs in
bulk (`read_state`: every connector's config and status in one request, the installed plugins, the
workers' validation of each config about to be sent) and executes a plan's connector changes
(`ConnectWriter`), each done only once the connector and its tasks are seen as declared.

Credentials come from bus.yaml `${VAR}`s and never appear in a message; neither does a connector's
secret value, which the workers' validation messages may quote.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from busctl.adapters.http import ApiError, JsonApi, parallel, path, sent, shortened
from busctl.adapters.kafka import expand
from busctl.core.connectors import (
    PAUSED,
    SECRET,
    ConnectState,
    DesiredConnector,
    FieldError,
    ObservedConnector,
    TaskStatus,
    judge,
    to_validate,
)
from busctl.core.diagnostics import printable
from busctl.core.model import ConnectCluster
from busctl.core.plan import Change
from busctl.core.ports import DONE, Outcomes, Sent, Status, failed, unconfirmed

REBALANCE = 409  # the workers are rebalancing: Connect asks to retry the request
RETRY_FOR = 30.0  # how long a request refused for a rebalance is retried
POLL = 0.25  # seconds between looks at connectors a write waits for


class ConnectError(ApiError):
    """The Connect cluster refused a request or could not be reached."""


class Connect(JsonApi):
    """One Connect cluster's REST API (any of its workers: they forward writes to the leader)."""

    what = "Kafka Connect"
    error = ConnectError

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        where: str = "clusters.NAME.connect",
    ) -> None:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        super().__init__(url, username, password, timeout, where, headers)

    def not_json_hint(self) -> str:
        return f"check bus.yaml {self.where}.url: a Connect worker's REST listener, e.g. http://connect:8083"

    not_found_hint = not_json_hint

    def call(self, method: str, where: str, body: object = None, **params: str | list[str]) -> Any:
        """`request`, retried (bounded) while the workers rebalance."""
        deadline = time.monotonic() + RETRY_FOR
        while True:
            try:
                return self.request(method, where, body, **params)
            except ConnectError as err:
                if err.status != REBALANCE or time.monotonic() > deadline:
                    raise
            time.sleep(0.5)

    # -- the API ---------------------------------------------------------------------------------

    def version(self) -> str:
        return str((self.call("GET", "/") or {}).get("version", ""))

    def plugins(self) -> dict[str, str]:
        """Installed connector plugins: class → type (source, sink)."""
        return {str(p["class"]): str(p.get("type", "")) for p in self.call("GET", "/connector-plugins")}

    def connectors(self, configs: bool = True) -> dict[str, ObservedConnector]:
        """Every connector with its status, and its config unless `configs` is false, in one request."""
        found = self.call("GET", "/connectors", expand=["status", *(["info"] if configs else [])]) or {}
        return {str(name): _observed(str(name), entry) for name, entry in found.items()}

    def validate(self, wanted: DesiredConnector) -> tuple[FieldError, ...]:
        """The workers' verdict on the config: its settings with errors (none: valid). Secret values
        the messages quote are masked."""
        found = self.call(
            "PUT", path("connector-plugins", wanted.connector_class, "config", "validate"), wanted.config
        )
        errors = []
        for entry in (found or {}).get("configs", []):
            value = entry.get("value", {})
            said = tuple(_masked(str(e), wanted) for e in value.get("errors") or [])
            if said:
                errors.append(FieldError(str(value.get("name", "")), said))
        return tuple(errors)

    def put_config(self, name: str, config: Mapping[str, str]) -> None:
        self.call("PUT", path("connectors", name, "config"), dict(config))

    def pause(self, name: str) -> None:
        self.call("PUT", path("connectors", name, "pause"))

    def resume(self, name: str) -> None:
        self.call("PUT", path("connectors", name, "resume"))

    def delete(self, name: str) -> None:
        self.call("DELETE", path("connectors", name))

    def read_state(self, desired: list[DesiredConnector]) -> ConnectState:
        """What a plan needs: every connector, the plugins, and the validation of each config that
        would be sent."""
        plugins = self.plugins()
        state = ConnectState(self.url, self.connectors(), _with_aliases(plugins), version=self.version())
        checking = to_validate(desired, state)
        for wanted, errors in zip(checking, parallel(self.validate, checking, "busctl-connect"), strict=True):
            state.validations[wanted.name] = errors
        return state


def _with_aliases(plugins: dict[str, str]) -> dict[str, str]:
    """Plugins by class and by the aliases Connect also accepts (simple name, without "Connector")."""
    out = dict(plugins)
    for cls, kind in plugins.items():
        simple = cls.rsplit(".", 1)[-1]
        out.setdefault(simple, kind)
        if simple.endswith("Connector"):
            out.setdefault(simple.removesuffix("Connector"), kind)
    return out


def _observed(name: str, entry: Mapping[str, Any]) -> ObservedConnector:
    status = entry.get("status") or {}
    info = entry.get("info") or {}
    connector = status.get("connector") or {}
    tasks = tuple(
        TaskStatus(
            int(t.get("id", 0)), str(t.get("state", "")), str(t.get("worker_id", "")), str(t.get("trace", ""))
        )
        for t in status.get("tasks") or []
    )
    return ObservedConnector(
        name=name,
        config={str(k): str(v) for k, v in (info.get("config") or {}).items()},
        state=str(connector.get("state", "")),
        type=str(info.get("type") or status.get("type") or ""),
        worker=str(connector.get("worker_id", "")),
        trace=str(connector.get("trace", "")),
        tasks=tasks,
    )


def _masked(message: str, wanted: DesiredConnector) -> str:
    for key in wanted.secret_keys:
        value = wanted.config.get(key, "")
        if len(value) >= 3:
            message = message.replace(value, SECRET)
    return shortened(printable(message))


def connect(name: str, settings: ConnectCluster, timeout: float) -> Connect:
    """The Connect client of bus.yaml cluster `name`, ${VAR}s expanded from the environment."""
    where = f"clusters.{name}.connect"
    env = os.environ
    username = expand(settings.username, f"{where}.username", env) if settings.username else None
    password = expand(settings.password, f"{where}.password", env) if settings.password else None
    return Connect(expand(settings.url, f"{where}.url", env), username, password, timeout, where)


def _name(change: Change) -> str:
    return change.connector.name if change.connector else ""


@dataclass(frozen=True)
class ConnectWriter:
    """Executes the connector changes of a plan (the write port of apply): each is done once the
    connector and every task is seen in the state declared within `wait` seconds; failed when Connect
    refused it or a task failed (its error given); unconfirmed when it was not seen in time."""

    connect: Connect
    desired: dict[str, DesiredConnector]  # the plan's desired connectors: their configs, by name
    wait: float = 60.0

    def create_connectors(self, changes: list[Change]) -> Outcomes:
        return self._then_wait(changes, self._create)

    def update_connectors(self, changes: list[Change]) -> Outcomes:
        return self._then_wait(
            changes, lambda c: self.connect.put_config(_name(c), self.desired[_name(c)].config)
        )

    def pause_connectors(self, changes: list[Change]) -> Outcomes:
        return self._then_wait(changes, lambda c: self.connect.pause(_name(c)))

    def resume_connectors(self, changes: list[Change]) -> Outcomes:
        return self._then_wait(changes, lambda c: self.connect.resume(_name(c)))

    def delete_connectors(self, changes: list[Change]) -> Outcomes:
        return self._then_wait(changes, lambda c: self.connect.delete(_name(c)), gone=True)

    def _create(self, change: Change) -> None:
        wanted = self.desired[_name(change)]
        self.connect.put_config(wanted.name, wanted.config)
        if wanted.state == PAUSED:
            self.connect.pause(wanted.name)

    def _then_wait(
        self, changes: list[Change], write: Callable[[Change], None], gone: bool = False
    ) -> Outcomes:
        """Send every change (8 at a time), then watch the sent ones in one bulk status read per round
        until each is as declared, or `wait` has passed; a Connect cluster that stops answering ends
        the wait for all of them at once."""
        unanswered: list[str] = []  # once one request gets no answer, the rest are not sent

        def send(change: Change) -> Sent:
            if unanswered:
                return Sent(Status.NOT_STARTED, f"not sent: {unanswered[0]}")
            outcome = self._secrets_masked(sent(write, change), change)
            if outcome.status in (Status.UNCONFIRMED, Status.NOT_STARTED):
                unanswered.append(outcome.error)
            return outcome

        outcomes = parallel(send, changes, "busctl-connect")
        waiting = {i: _name(c) for i, (c, o) in enumerate(zip(changes, outcomes, strict=True)) if o is DONE}
        deadline = time.monotonic() + self.wait
        while waiting:
            final = time.monotonic() > deadline
            try:
                observed = self.connect.connectors(configs=False)
            except ConnectError as err:
                if err.status and not final:  # it answered, with a refusal: look again
                    time.sleep(POLL)
                    continue
                for index in waiting:
                    outcomes[index] = unconfirmed(f"sent, but its status could not be read: {err.message}")
                break
            for index, name in list(waiting.items()):
                verdict = self._look(observed.get(name), gone, final, self.desired[name].state)
                if verdict is not None:
                    outcomes[index] = verdict
                    del waiting[index]
            if waiting:
                time.sleep(POLL)
        return outcomes

    def _secrets_masked(self, outcome: Sent, change: Change) -> Sent:
        """The outcome, any secret value of the connector's config the Connect cluster quoted masked."""
        wanted = self.desired.get(_name(change))
        if wanted is None or not outcome.error:
            return outcome
        return Sent(outcome.status, _masked(outcome.error, wanted), outcome.error_name)

    def _look(self, observed: ObservedConnector | None, gone: bool, final: bool, want: str) -> Sent | None:
        """The outcome once the connector is as declared (or a task failed), None while it is not yet;
        with `final`, unconfirmed instead of None."""
        if gone:
            if observed is None:
                return DONE
            return unconfirmed(f"sent, but it is still there after {self.wait:.0f}s") if final else None
        if observed is None:
            return unconfirmed(f"sent, but it is not listed after {self.wait:.0f}s") if final else None
        broken, problem = judge(observed, want)
        if broken:
            return failed(problem, "FAILED")
        if not problem:
            return DONE
        if final:
            states = ", ".join(f"task {t.id} {t.state}" for t in observed.tasks) or "no tasks"
            return unconfirmed(
                f"not {want} after {self.wait:.0f}s (connector {observed.state or '?'}, {states})"
            )
        return None
