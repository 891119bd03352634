"""Kafka's and librdkafka's errors in words a user can act on.

- `describe_kafka_error`: a KafkaError as `NAME: message`, without Java class names or request dumps.
- `diagnose`: why a cluster cannot be reached, from what librdkafka reported through error_cb and its
  log (connection refused, unknown host, TLS handshake, authentication...), and whether waiting longer
  can help (`final`).
- `check_settings` / `construction_error`: connection settings refused before or while the client is
  made (an empty secret, a missing certificate file), naming the bus.yaml field and the variable, never
  a value.

Secrets are never part of a message: messages name variables and fields, and `redact` removes any
password that might still slip into a broker's or librdkafka's text.
"""

from __future__ import annotations

import logging
import os
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from confluent_kafka import KafkaError

from busctl.core.diagnostics import BusctlError
from busctl.core.model import ENV_VARIABLE, Cluster, Security

MAX_MESSAGE = 160

# Broker errors that go away by themselves (a coordinator loading, a leader or controller moving):
# worth re-issuing the request. librdkafka marks few admin errors retriable(), hence the list.
RETRIABLE = frozenset(
    {
        KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
        KafkaError.COORDINATOR_NOT_AVAILABLE,
        KafkaError.NOT_COORDINATOR,
        KafkaError.NOT_CONTROLLER,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NETWORK_EXCEPTION,
        KafkaError.KAFKA_STORAGE_ERROR,
        KafkaError.FENCED_LEADER_EPOCH,
        KafkaError.UNKNOWN_LEADER_EPOCH,
        KafkaError.OFFSET_NOT_AVAILABLE,
        KafkaError.THROTTLING_QUOTA_EXCEEDED,
        KafkaError._TRANSPORT,
        KafkaError._WAIT_COORD,
    }
)
AUTHENTICATION = frozenset({KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED})

_ONE_LINE = re.compile(r"\s+")
_STATE = re.compile(r"\s*\(after \d+ms in state (\w+)\)")
_JAVA_CLASS = re.compile(r"\b(?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)\b:?\s*")
_PREFIXES = re.compile(
    r"^(?:\w+ worker failed to parse response: |\w+ response failure: |Failed to create admin client: )"
)
_ORIGIN = re.compile(r"\b(?:Broker|Local): ")
_DUMP = re.compile(
    r"Request\(processor=|RequestHeader\(|RequestContext\(|\bjava\.\w+\.|\w@[0-9a-f]{6,}\b|envelope="
)
_OPENSSL_CODE = re.compile(r"error:[0-9A-F]{8}:[^:]*::?")
_BROKER = re.compile(r"^(?:\w+://)?(\S+?)/(?:bootstrap|-?\d+): ")
_LOG_PREFIX = re.compile(r"^\S+ \[[^\]]*\] (?:\[thrd:[^\]]*\]: )?")


def describe_kafka_error(error: KafkaError) -> str:
    """`NAME: message` on one short line, e.g. `CLUSTER_AUTHORIZATION_FAILED: Cluster authorization
    failed`. Java class names, request dumps and librdkafka's parse-step prefixes are left out."""
    return f"{error.name()}: {clean_message(str(error.str()), error.code())}"


def clean_message(message: str, code: int | None = None) -> str:
    """A broker's or librdkafka's message, one line, short, without Java internals."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    text = _ONE_LINE.sub(" ", lines[0] if lines else "").strip()
    text = _STATE.sub("", text)
    while (shorter := _PREFIXES.sub("", text)) != text:
        text = shorter
    text = _ORIGIN.sub("", _JAVA_CLASS.sub("", text)).strip()
    if _DUMP.search(text) or not text:
        text = _description(code)
    text = text.rstrip(". ")
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return text


def _description(code: int | None) -> str:
    """librdkafka's own description of an error code: `Broker: Cluster authorization failed` → the part
    after the colon."""
    if code is None:
        return "error"
    described = _ORIGIN.sub("", str(KafkaError(code).str())).strip()
    if not described or described.startswith("Err-"):
        return str(KafkaError(code).name()).strip("_").replace("_", " ").capitalize()
    return described


def is_retriable(error: KafkaError) -> bool:
    """A transient error: re-issuing the same request a moment later may succeed."""
    return bool(error.retriable()) or error.code() in RETRIABLE


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value (of 4 characters or more) replaced by ***."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


class RecentLog:
    """A logger for librdkafka that prints nothing and keeps its last lines (connection failures are
    often only in the log, e.g. a broker closing the connection) for `diagnose`."""

    def __init__(self, size: int = 50) -> None:
        self.lines: deque[str] = deque(maxlen=size)

    def log(self, level: int, fmt: str, *args: object) -> None:
        if level < logging.INFO:
            return
        try:
            text = fmt % args if args else fmt
        except (TypeError, ValueError):
            text = " ".join(str(part) for part in (fmt, *args))
        self.lines.append(_LOG_PREFIX.sub("", text))


# --- connection problems ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a cluster cannot be reached. `final`: waiting longer will not help (wrong password, TLS)."""

    kind: str  # authentication | tls | protocol | resolve | connect | closed | transport
    detail: str
    hint: str
    final: bool

    def error(self, where: str) -> BusctlError:
        if self.kind == "authentication":
            lead = f"authentication to {where} failed"
        elif self.kind in ("tls", "protocol", "closed"):
            lead = f"cannot connect to {where}"
        else:
            lead = f"cannot reach {where}"
        return BusctlError(f"{lead}: {self.detail}", self.hint)


@dataclass(frozen=True)
class Connection:
    """What hints name: the cluster, its protocol and mechanism, where the credentials come from."""

    cluster: str
    protocol: str
    mechanism: str | None
    credentials: str

    @classmethod
    def of(cls, cluster: str, security: Security) -> Connection:
        names = [
            name for raw in (security.username, security.password) for name in ENV_VARIABLE.findall(raw or "")
        ]
        field = f"clusters.{cluster}.security.username/password in bus.yaml"
        credentials = f"{' and '.join(names)} ({field})" if names else field
        return cls(cluster, security.protocol, security.sasl_mechanism, credentials)


# Kinds in order of precedence: the first found is the one reported.
_PRECEDENCE = ("authentication", "tls", "protocol", "closed", "resolve", "connect", "transport")
_CLOSED_FINAL = 3  # a broker that closes the connection right after connecting, this many times


def diagnose(errors: Iterable[KafkaError], log: Iterable[str], connection: Connection) -> Problem | None:
    """The most telling problem among librdkafka's error_cb errors and log lines, or None."""
    found: dict[str, list[Problem]] = {}
    texts = [(e.code(), str(e.str()), "error") for e in errors] + [(None, line, "log") for line in log]
    counts: dict[tuple[str, str], int] = {}
    for code, text, source in texts:
        problem = _classify(code, text, connection)
        if problem is not None:
            found.setdefault(problem.kind, []).append(problem)
            counts[(problem.kind, source)] = counts.get((problem.kind, source), 0) + 1
    for kind in _PRECEDENCE:
        if kind in found:
            problem = found[kind][-1]
            if kind == "closed":
                seen = max(counts.get((kind, "error"), 0), counts.get((kind, "log"), 0))
                if seen >= _CLOSED_FINAL:
                    return Problem(kind, problem.detail, problem.hint, final=True)
                continue  # once or twice: a broker restarting; other findings (or a timeout) explain more
            return problem
    if "closed" in found:
        return found["closed"][-1]
    return None


def _classify(code: int | None, text: str, connection: Connection) -> Problem | None:
    """One librdkafka error or log line → a Problem, or None when it says nothing useful."""
    state_match = _STATE.search(text)
    state = state_match.group(1) if state_match else ""
    text = _ONE_LINE.sub(" ", _STATE.sub("", text)).strip()
    broker = _BROKER.match(text)
    address = broker.group(1) if broker else ""
    rest = text[broker.end() :] if broker else text
    at = f" ({address})" if address else ""
    cluster = connection.cluster

    if code in AUTHENTICATION or "SASL authentication error" in rest or state.startswith("AUTH"):
        handshake = re.search(r"SASL (\S+) mechanism handshake failed: .*supported mechanisms: ?(.*)$", rest)
        if handshake:
            offered = handshake.group(2).strip() or "none"
            return Problem(
                "authentication",
                f"the broker does not offer SASL mechanism {handshake.group(1)} (it offers: {offered}){at}",
                f"check security.protocol ({connection.protocol}) and sasl_mechanism of clusters.{cluster} "
                "in bus.yaml against the broker's listener",
                final=True,
            )
        detail = rest.split("SASL authentication error: ", 1)[-1].removeprefix("Authentication failed: ")
        return Problem(
            "authentication",
            f"{clean_message(detail)}{at}",
            f"check the credentials in {connection.credentials} and sasl_mechanism "
            f"({connection.mechanism or 'not set'})",
            final=True,
        )
    if "SSL handshake failed" in rest or code == KafkaError._SSL or state == "SSL_HANDSHAKE":
        detail = rest.split("SSL handshake failed: ", 1)[-1]
        detail = _OPENSSL_CODE.sub("", detail).replace("Disconnected: ", "").split(", verify that")[0]
        if "PLAINTEXT broker listener" in detail:
            hint = (
                f"security.protocol {connection.protocol} needs a TLS listener and this port is not one: "
                f"check clusters.{cluster}.security.protocol and the bootstrap port in bus.yaml"
            )
        elif "certificate verify failed" in detail:
            hint = (
                "the broker's certificate is not trusted: set "
                f"clusters.{cluster}.security.ssl_ca_location to the CA that signed it"
            )
        else:
            hint = f"check clusters.{cluster}.security (protocol, ssl_* files) in bus.yaml"
        return Problem("tls", f"TLS handshake failed: {clean_message(detail)}{at}", hint, final=True)
    if "incorrect security.protocol" in rest:
        return Problem(
            "protocol",
            f"the broker closed the connection while asked for its API versions{at}",
            f"security.protocol {connection.protocol} probably does not match the listener (TLS?): "
            f"check clusters.{cluster}.security.protocol in bus.yaml",
            final=True,
        )
    resolve = re.search(r"Failed to resolve '([^']*)'", rest)
    if code == KafkaError._RESOLVE or resolve:
        host = resolve.group(1) if resolve else address
        host = re.sub(r":\d+$", "", host).strip("[]")
        return Problem(
            "resolve",
            f"cannot resolve host {host}",
            f"check clusters.{cluster}.bootstrap_servers in bus.yaml (and DNS)",
            final=False,
        )
    connect = re.search(r"Connect to (?:ipv[46]#)?(\S+) failed: (.+)$", rest)
    if connect:
        reason = connect.group(2).strip().rstrip(".")
        return Problem(
            "connect",
            f"{reason[:1].lower()}{reason[1:]} ({connect.group(1)})",
            "is the broker running and the bootstrap address right? (scripts/kafka/kafka status)",
            final=False,
        )
    if re.search(r"Disconnected: connection (?:closed|reset) by peer", rest) and state in (
        "",
        "UP",
        "APIVERSION_QUERY",
    ):
        return Problem(
            "closed",
            f"the broker closes the connection right after connecting{at}",
            f"the listener probably expects another security.protocol (TLS or SASL; busctl uses "
            f"{connection.protocol}): check clusters.{cluster}.security in bus.yaml",
            final=False,
        )
    if code == KafkaError._TRANSPORT:
        return Problem(
            "transport",
            f"{clean_message(rest)}{at}" if address and address not in rest else clean_message(rest),
            "is the broker running and the bootstrap address right? (scripts/kafka/kafka status)",
            final=False,
        )
    return None


# --- settings ---------------------------------------------------------------------------------------

_FILES = {
    "ssl_ca_location": "ssl.ca.location",
    "ssl_certificate_location": "ssl.certificate.location",
    "ssl_key_location": "ssl.key.location",
}
_FIELDS = {
    **{key: field for field, key in _FILES.items()},
    "ssl.key.password": "ssl_key_password",
    "sasl.username": "username",
    "sasl.password": "password",
    "sasl.mechanism": "sasl_mechanism",
    "SASL mechanism": "sasl_mechanism",
    "security.protocol": "protocol",
}


def missing_credentials(cluster: Cluster, environ: Mapping[str, str]) -> list[str]:
    """The ${VAR}s a cluster's settings (bootstrap, security, schema registry, Connect cluster) name that
    are unset or empty here, as in a pull request from a fork, which gets no repository secrets. Names
    only."""
    security, registry, connect = cluster.security, cluster.registry, cluster.connect
    raw = [cluster.bootstrap_servers, *(getattr(security, f) or "" for f in Security.model_fields)]
    for service in (registry, connect):
        if service is not None:
            raw += [service.url, service.username or "", service.password or ""]
    names = dict.fromkeys(name for value in raw for name in ENV_VARIABLE.findall(value))
    return [name for name in names if not environ.get(name, "").strip()]


def check_settings(
    name: str, cluster: Cluster, settings: Mapping[str, str], environ: Mapping[str, str]
) -> None:
    """Refuse, before connecting, what cannot work: an empty bootstrap address, SASL without a mechanism
    or with an empty username/password (a pull request from a fork gets empty secrets), a certificate
    file that does not exist. Names the field and the variable, never a value."""
    where = f"clusters.{name}"
    security = cluster.security
    _require(cluster.bootstrap_servers, settings, "bootstrap.servers", f"{where}.bootstrap_servers", environ)
    if security.protocol.startswith("SASL_"):
        needs = f"security.protocol {security.protocol} needs it"
        if security.sasl_mechanism is None:
            raise BusctlError(
                f"{where}.security.sasl_mechanism is not set in bus.yaml ({needs})",
                "set sasl_mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
            )
        for field, key in (("username", "sasl.username"), ("password", "sasl.password")):
            raw = getattr(security, field)
            if raw is None:
                raise BusctlError(
                    f"{where}.security.{field} is not set in bus.yaml ({needs})",
                    f'add {field}: "${{VARIABLE}}" under {where}.security',
                )
            _require(raw, settings, key, f"{where}.security.{field}", environ)
    for field, key in _FILES.items():
        path = settings.get(key)
        if path is None or (key == "ssl.ca.location" and path == "probe"):
            continue
        if not os.path.exists(path):
            raise BusctlError(
                f"{where}.security.{field}: {path} does not exist",
                "fix the path in bus.yaml (or the environment variable it comes from)",
            )


def _require(raw: str, settings: Mapping[str, str], key: str, where: str, environ: Mapping[str, str]) -> None:
    """The setting must not be empty once expanded: name the empty variables, or the field."""
    if settings.get(key, "").strip():
        return
    empty = [name for name in ENV_VARIABLE.findall(raw) if not environ.get(name, "").strip()]
    if not empty:
        raise BusctlError(f"{where} is empty in bus.yaml", f"give {where} a value")
    listed = " and ".join(empty)
    subject = f"environment variables {listed} are" if len(empty) > 1 else f"environment variable {listed} is"
    raise BusctlError(
        f"{subject} empty (used by {where} in bus.yaml)",
        f"set {listed} (a pull request from a fork gets no repository secrets: "
        "run against the cluster only where they are available)",
    )


def construction_error(name: str, error: KafkaError, settings: Mapping[str, str]) -> BusctlError:
    """librdkafka refused the settings while making the client (e.g. an unreadable certificate): name
    the bus.yaml field, and the file for a *_location."""
    detail = clean_message(redact(str(error.str()), secrets(settings)))
    key = next((k for k in _FIELDS if k in detail), None)
    if key is None:
        return BusctlError(
            f"cannot use the connection settings of clusters.{name}: {detail}",
            f"check clusters.{name} in bus.yaml",
        )
    path = f" ({settings[key]})" if key in _FILES.values() and key in settings else ""
    hint = (
        "it must be a readable PEM file (a key: matching ssl_key_password)"
        if key.startswith("ssl.")
        else f"check clusters.{name}.security in bus.yaml"
    )
    return BusctlError(f"cannot use clusters.{name}.security.{_FIELDS[key]}{path}: {detail}", hint)


def secrets(settings: Mapping[str, str]) -> list[str]:
    """The secret values among librdkafka settings (to `redact` from any message)."""
    return [settings[k] for k in ("sasl.password", "ssl.key.password") if settings.get(k)]
