"""Kafka errors in words: describe_kafka_error, the connection diagnosis from librdkafka's own texts
(recorded from real brokers and librdkafka 2.16), and settings refused before connecting. No broker."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from confluent_kafka import KafkaError

from busctl.adapters.kafka import KafkaAdmin, client_settings
from busctl.adapters.kafka_errors import (
    Connection,
    RecentLog,
    clean_message,
    describe_kafka_error,
    diagnose,
    is_retriable,
    redact,
)
from busctl.core.diagnostics import BusctlError
from busctl.core.model import Cluster, Security

# CreateAcls by a principal without ALTER on the cluster, as KRaft's controller answers it (librdkafka
# cuts it at 511 characters).
JAVA_DUMP = (
    "Request Request(processor=0, connectionId=127.0.0.1:39320-127.0.0.1:32856-0-1, "
    "session=org.apache.kafka.network.Session@31f98e00, listenerName=ListenerName(CONTROLLER), "
    "securityProtocol=SASL_PLAINTEXT, buffer=java.nio.HeapByteBuffer[pos=36 lim=36 cap=56], "
    "envelope=Some(Request(processor=0, connectionId=127.0.0.1:39320-127.0.0.1:32856-0-1, "
    "session=org.apache.kafka.network.Session@d62bf0d, listenerName=ListenerName(CONTROLLER), "
    "securityProtocol=SASL_PLAINTEXT, buffer=java.nio.HeapByteBuffer[pos=69 lim=69 cap"
)
SASL = Security(
    protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", username="${BUS_USER}", password="${BUS_PASSWORD}"
)
LOCAL = Connection.of("local", SASL)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (KafkaError(31, JAVA_DUMP), "CLUSTER_AUTHORIZATION_FAILED: Cluster authorization failed"),
        (
            KafkaError(31, "Cluster authorization failed."),
            "CLUSTER_AUTHORIZATION_FAILED: Cluster authorization failed",
        ),
        (KafkaError(31), "CLUSTER_AUTHORIZATION_FAILED: Cluster authorization failed"),
        (KafkaError(29, "Authorization failed."), "TOPIC_AUTHORIZATION_FAILED: Authorization failed"),
        (
            KafkaError(
                14,
                "LISTCONSUMERGROUPOFFSETS worker failed to parse response: ListConsumerGroupOffsetsResponse "
                "response failure: Broker: Coordinator load in progress",
            ),
            "COORDINATOR_LOAD_IN_PROGRESS: Coordinator load in progress",
        ),
        (
            KafkaError(
                40,
                "org.apache.kafka.common.errors.InvalidConfigurationException: Unknown topic config name: x\n"
                "\tat org.apache.kafka.controller.ConfigurationControlManager.validate(...)",
            ),
            "INVALID_CONFIG: Unknown topic config name: x",
        ),
        (
            KafkaError(-195, "Failed to get metadata: Local: Broker transport failure"),
            "_TRANSPORT: Failed to get metadata: Broker transport failure",
        ),
    ],
)
def test_describe_kafka_error(error: KafkaError, expected: str) -> None:
    assert describe_kafka_error(error) == expected


def test_long_messages_are_one_short_line() -> None:
    text = describe_kafka_error(KafkaError(42, "word " * 200 + "\nsecond line"))
    assert "\n" not in text and len(text) < 200 and text.endswith("…")
    assert clean_message("") == "error"


def test_retriable_errors() -> None:
    for code in (14, 15, 16, 41, 5, 6, KafkaError._TRANSPORT):
        assert is_retriable(KafkaError(code, "x"))
    for code in (29, 31, 30, 36, 3, KafkaError._AUTHENTICATION):
        assert not is_retriable(KafkaError(code, "x"))
    assert is_retriable(KafkaError(31, "x", retriable=True))  # librdkafka's own flag counts


def _problem(*texts: tuple[int, str], log: tuple[str, ...] = ()) -> tuple[str, str, str, bool]:
    problem = diagnose([KafkaError(code, text) for code, text in texts], list(log), LOCAL)
    assert problem is not None
    return problem.kind, problem.detail, problem.hint, problem.final


ALL_DOWN = (KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down")


def test_connection_refused_names_the_address_and_waits() -> None:
    refused = (
        "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused "
        "(after 0ms in state CONNECT)"
    )
    kind, detail, _, final = _problem((KafkaError._TRANSPORT, refused), ALL_DOWN)
    assert (kind, detail, final) == ("connect", "connection refused (127.0.0.1:1)", False)


def test_unknown_host() -> None:
    text = (
        "nohost.invalid:9092/bootstrap: Failed to resolve 'nohost.invalid:9092': Name or service not known "
        "(after 1ms in state CONNECT)"
    )
    kind, detail, hint, final = _problem((KafkaError._RESOLVE, text))
    assert (kind, detail, final) == ("resolve", "cannot resolve host nohost.invalid", False)
    assert "clusters.local.bootstrap_servers" in hint


def test_tls_against_a_plaintext_port_is_final() -> None:
    text = (
        "ssl://127.0.0.1:39200/bootstrap: SSL handshake failed: Disconnected: SSL connection closed by peer: "
        "connecting to a PLAINTEXT broker listener? (after 4ms in state SSL_HANDSHAKE)"
    )
    kind, detail, hint, final = _problem((KafkaError._TRANSPORT, text), ALL_DOWN)
    assert kind == "tls" and final
    assert (
        detail.startswith("TLS handshake failed: SSL connection closed by peer")
        and "(127.0.0.1:39200)" in detail
    )
    assert "clusters.local.security.protocol" in hint


def test_untrusted_certificate() -> None:
    text = (
        "ssl://127.0.0.1:39299/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate "
        "verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly "
        "configured or root CA certificates are installed (install ca-certificates package) (after 6ms in "
        "state SSL_HANDSHAKE)"
    )
    kind, detail, hint, final = _problem((KafkaError._SSL, text))
    assert kind == "tls" and final and "error:0A" not in detail
    assert detail == (
        "TLS handshake failed: certificate verify failed: broker certificate could not be verified "
        "(127.0.0.1:39299)"
    )
    assert "ssl_ca_location" in hint


def test_wrong_password_is_final_and_names_the_variables() -> None:
    text = (
        "sasl_plaintext://127.0.0.1:39220/bootstrap: SASL authentication error: Authentication failed: "
        "Invalid username or password (after 303ms in state AUTH_REQ)"
    )
    refused = "127.0.0.1:39220/bootstrap: Connect to ipv4#127.0.0.1:39220 failed: Connection refused"
    kind, detail, hint, final = _problem((KafkaError._TRANSPORT, refused), (KafkaError._AUTHENTICATION, text))
    assert kind == "authentication" and final  # outranks the earlier refusal
    assert detail == "Invalid username or password (127.0.0.1:39220)"
    assert "BUS_USER and BUS_PASSWORD" in hint and "PLAIN" in hint


def test_sasl_against_a_plaintext_listener() -> None:
    text = (
        "sasl_plaintext://127.0.0.1:39200/bootstrap: SASL PLAIN mechanism handshake failed: Broker: Request "
        "not valid in current SASL state: broker's supported mechanisms:  (after 0ms in state AUTH_HANDSHAKE)"
    )
    kind, detail, _, final = _problem((KafkaError._AUTHENTICATION, text))
    assert kind == "authentication" and final
    assert detail == "the broker does not offer SASL mechanism PLAIN (it offers: none) (127.0.0.1:39200)"


def test_a_broker_closing_the_connection_is_final_only_when_repeated() -> None:
    line = (
        "127.0.0.1:39220/bootstrap: Disconnected: connection closed by peer: receive 0 after POLLIN "
        "(after 1ms in state UP)"
    )
    once = diagnose([KafkaError(*ALL_DOWN)], [line], LOCAL)
    assert once is not None and once.kind == "closed" and not once.final
    thrice = diagnose([KafkaError(*ALL_DOWN)], [line] * 3, LOCAL)
    assert thrice is not None and thrice.final and "security.protocol" in thrice.hint


def test_nothing_telling() -> None:
    assert diagnose([KafkaError(*ALL_DOWN)], [], LOCAL) is None


def test_recent_log_keeps_librdkafka_lines_without_their_prefix() -> None:
    log = RecentLog(size=2)
    fmt = "%s [%s] %s"
    log.log(7, fmt, "DEBUG", "rdkafka#producer-1", "chatter")  # below INFO: dropped
    for n in range(3):
        log.log(
            40,
            fmt,
            "FAIL",
            "rdkafka#producer-1",
            f"[thrd:127.0.0.1:1/bootstrap]: 127.0.0.1:1/bootstrap: x{n}",
        )
    assert list(log.lines) == ["127.0.0.1:1/bootstrap: x1", "127.0.0.1:1/bootstrap: x2"]


def test_redact() -> None:
    assert (
        redact("user admin password hunter22 refused", ["hunter22", ""]) == "user admin password *** refused"
    )


# --- settings refused before connecting ---------------------------------------------------------------


def _cluster(**security: str) -> Cluster:
    return Cluster.model_validate({"bootstrap_servers": "127.0.0.1:1", "security": security})


def _refusal(cluster: Cluster) -> BusctlError:
    with pytest.raises(BusctlError) as raised:
        KafkaAdmin("local", cluster, timeout=1)
    return raised.value


SASL_FIELDS = {"protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512"}


def test_empty_sasl_secrets_are_named_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = _cluster(**SASL_FIELDS, username="${BUS_USER}", password="${BUS_PASSWORD}")
    monkeypatch.setenv("BUS_USER", "")
    monkeypatch.setenv("BUS_PASSWORD", "")
    err = _refusal(cluster)
    assert (
        err.message
        == "environment variable BUS_USER is empty (used by clusters.local.security.username in bus.yaml)"
    )
    assert "fork" in err.hint
    monkeypatch.setenv("BUS_USER", "ci-user")
    err = _refusal(cluster)
    assert "BUS_PASSWORD is empty" in err.message and "ci-user" not in err.message + err.hint


def test_sasl_needs_mechanism_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "sasl_mechanism is not set" in _refusal(_cluster(protocol="SASL_PLAINTEXT", username="u")).message
    assert "security.password is not set" in _refusal(_cluster(**SASL_FIELDS, username="u")).message
    assert (
        "security.username is empty in bus.yaml"
        in _refusal(_cluster(**SASL_FIELDS, username=" ", password="p")).message
    )


def test_empty_bootstrap_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUS_BOOTSTRAP", "")
    cluster = Cluster.model_validate({"bootstrap_servers": "${BUS_BOOTSTRAP}"})
    with pytest.raises(
        BusctlError, match=r"BUS_BOOTSTRAP is empty \(used by clusters.prod.bootstrap_servers"
    ):
        client_settings("prod", cluster)


def test_missing_certificate_files_are_named(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope" / "ca.pem")
    err = _refusal(_cluster(protocol="SSL", ssl_ca_location=missing))
    assert err.message == f"clusters.local.security.ssl_ca_location: {missing} does not exist"
    err = _refusal(_cluster(protocol="SSL", ssl_certificate_location=missing, ssl_key_location=missing))
    assert "ssl_certificate_location" in err.message


def test_a_file_librdkafka_cannot_use_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n")
    err = _refusal(_cluster(protocol="SSL", ssl_ca_location=str(not_pem)))
    assert err.message.startswith(f"cannot use clusters.local.security.ssl_ca_location ({not_pem}): ")
    assert "PEM" in err.hint


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a key")
def test_a_wrong_key_password_is_never_shown(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    make = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-days", "1", "-subj", "/CN=busctl-test"]
    subprocess.run(
        [*make, "-keyout", str(key), "-out", str(cert), "-passout", "pass:the-right-pass"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    cluster = _cluster(
        protocol="SSL",
        ssl_certificate_location=str(cert),
        ssl_key_location=str(key),
        ssl_key_password="s3cret-wrong-pass",
    )
    err = _refusal(cluster)
    assert err.message.startswith(f"cannot use clusters.local.security.ssl_key_location ({key}): ")
    assert "s3cret-wrong-pass" not in err.message + err.hint and "the-right-pass" not in err.message
