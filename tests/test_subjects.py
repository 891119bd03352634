"""The subjects a cluster's topics need and the diff against a registry's state (busctl.core.subjects):
pure, so every verdict is checked here without a registry; tests/integration/test_registry_sync.py runs
the same against a real one."""

from __future__ import annotations

from busctl.core.plan import Action
from busctl.core.subjects import (
    DesiredSubject,
    ObservedSubject,
    RegisteredVersion,
    RegistryState,
    TopicSchemas,
    WireFile,
    desired_subjects,
    layers,
    subject_changes,
)

WIRE = {
    "acme/common/v1/money.proto": WireFile("money", ()),
    "acme/common/v1/currency.proto": WireFile("currency", ()),
    "acme/billing/v1/invoice.proto": WireFile("invoice", ("acme/common/v1/money.proto",)),
    "acme/billing/v1/key.proto": WireFile("key", ()),
    "acme/common/v1/price.proto": WireFile(
        "price", ("acme/common/v1/money.proto", "acme/common/v1/currency.proto")
    ),
    "acme/shop/v1/order.proto": WireFile("order", ("acme/common/v1/price.proto",)),
}


def _subjects() -> list[DesiredSubject]:
    return desired_subjects(
        [
            TopicSchemas("shop.orders.v1", "acme/shop/v1/order.proto", None, "FULL"),
            TopicSchemas(
                "billing.invoices.v1",
                "acme/billing/v1/invoice.proto",
                "acme/billing/v1/key.proto",
                "BACKWARD",
            ),
        ],
        WIRE,
        "BACKWARD_TRANSITIVE",
    )


def test_imports_come_before_the_subjects_that_reference_them_topics_in_name_order() -> None:
    subjects = _subjects()
    names = [s.subject for s in subjects]
    assert names == [
        "acme/common/v1/money.proto",
        "acme/common/v1/currency.proto",
        "acme/common/v1/price.proto",
        "billing.invoices.v1-value",
        "billing.invoices.v1-key",
        "shop.orders.v1-value",
    ]
    by_name = {s.subject: s for s in subjects}
    assert by_name["acme/common/v1/money.proto"].topics == ("billing.invoices.v1", "shop.orders.v1")
    assert by_name["acme/common/v1/price.proto"].references == (
        "acme/common/v1/money.proto",
        "acme/common/v1/currency.proto",
    )
    # imports get bus.yaml's level; a topic's subjects the topic's own
    assert by_name["acme/common/v1/money.proto"].compatibility == "BACKWARD_TRANSITIVE"
    assert by_name["shop.orders.v1-value"].compatibility == "FULL"
    assert (by_name["billing.invoices.v1-key"].role, by_name["billing.invoices.v1-key"].schema) == (
        "key",
        "key",
    )


def _state(**observed: ObservedSubject) -> RegistryState:
    return RegistryState("http://r", "NONE", sorted(observed), dict(observed))


def _version(version: int = 1) -> RegisteredVersion:
    return RegisteredVersion(id=10 + version, version=version)


def _one(level: str = "BACKWARD") -> list[DesiredSubject]:
    return [DesiredSubject("t.x.v1-value", "acme/x.proto", "s", (), level, "value", ("t.x.v1",))]


def test_a_new_subject_gets_its_level_then_its_schema() -> None:
    changes, unmanaged = subject_changes(_one(), [], _state(), allow_delete=False)
    assert [(c.action, c.topic) for c in changes] == [
        (Action.SET_COMPATIBILITY, "t.x.v1"),
        (Action.REGISTER_SCHEMA, "t.x.v1"),
    ]
    assert changes[0].subject is not None and changes[0].subject.previous_compatibility == "NONE (default)"
    assert changes[1].subject is not None and changes[1].subject.latest_version is None
    assert unmanaged == []


def test_a_subject_holding_gits_schema_as_latest_at_its_level_is_no_change() -> None:
    seen = ObservedSubject("t.x.v1-value", _version(3), holds=3, compatibility="BACKWARD")
    assert subject_changes(_one(), [], _state(**{"t.x.v1-value": seen}), False) == ([], [])


def test_a_level_set_otherwise_is_changed() -> None:
    seen = ObservedSubject("t.x.v1-value", _version(), holds=1, compatibility="NONE")
    (change,), _ = subject_changes(_one("FULL"), [], _state(**{"t.x.v1-value": seen}), False)
    assert change.action is Action.SET_COMPATIBILITY and change.subject is not None
    assert (change.subject.previous_compatibility, change.subject.compatibility) == ("NONE", "FULL")


def test_a_new_version_is_registered_when_the_registry_finds_it_compatible() -> None:
    seen = ObservedSubject("t.x.v1-value", _version(2), compatibility="BACKWARD", verdict=())
    (change,), _ = subject_changes(_one(), [], _state(**{"t.x.v1-value": seen}), False)
    assert change.action is Action.REGISTER_SCHEMA and change.subject is not None
    assert (change.subject.latest_version, change.subject.check) == (2, "compatible (the registry's check)")


def test_an_incompatible_version_is_blocked_with_the_registrys_words() -> None:
    seen = ObservedSubject(
        "t.x.v1-value", _version(2), compatibility="BACKWARD", verdict=("field 2 changed type",)
    )
    (change,), _ = subject_changes(_one(), [], _state(**{"t.x.v1-value": seen}), False)
    assert change.action is Action.BLOCKED and change.risk == "high"
    assert change.reason == "incompatible with version 2 of t.x.v1-value (BACKWARD): field 2 changed type"


def test_a_version_the_registry_could_not_check_is_blocked() -> None:
    seen = ObservedSubject(
        "t.x.v1-value", _version(), compatibility="BACKWARD", check_error="HTTP 500: parse"
    )
    (change,), _ = subject_changes(_one(), [], _state(**{"t.x.v1-value": seen}), False)
    assert (
        change.action is Action.BLOCKED and "could not check" in change.reason and "HTTP 500" in change.reason
    )


def test_a_version_waiting_for_its_reference_is_registered_unchecked() -> None:
    seen = ObservedSubject(
        "t.x.v1-value", _version(), compatibility="BACKWARD", unchecked="its reference m first"
    )
    (change,), _ = subject_changes(_one(), [], _state(**{"t.x.v1-value": seen}), False)
    assert change.action is Action.REGISTER_SCHEMA and change.subject is not None
    assert change.subject.check == "not checked: its reference m first"


def test_a_latest_version_that_is_not_gits_is_drift() -> None:
    seen = ObservedSubject("t.x.v1-value", _version(4), holds=2, compatibility="BACKWARD")
    (change,), _ = subject_changes(_one(), [], _state(**{"t.x.v1-value": seen}), False)
    assert change.action is Action.BLOCKED
    assert change.reason.startswith("drift: the registry's latest version of t.x.v1-value is 4 (id 14)")


def test_tombstoned_subjects_are_deleted_only_with_allow_delete_and_only_if_present() -> None:
    state = _state(**{"t.gone.v1-value": ObservedSubject("t.gone.v1-value", _version())})
    tombstoned = ["t.gone.v1-value", "t.gone.v1-key"]
    (held,), _ = subject_changes([], tombstoned, state, allow_delete=False)
    assert held.action is Action.BLOCKED and "tombstoned" in held.reason
    (deleted,), unmanaged = subject_changes([], tombstoned, state, allow_delete=True)
    assert deleted.action is Action.DELETE_SUBJECT and deleted.subject is not None
    assert (deleted.subject.subject, unmanaged) == ("t.gone.v1-value", [])


def test_subjects_nobody_declares_are_listed_never_changed_and_known_ones_are_not_listed() -> None:
    state = RegistryState("http://r", "NONE", ["stray-value", "other.topic.v1-value", "t.x.v1-value"])
    state.observed["t.x.v1-value"] = ObservedSubject(
        "t.x.v1-value", _version(), holds=1, compatibility="BACKWARD"
    )
    changes, unmanaged = subject_changes(_one(), [], state, False, known=frozenset({"other.topic.v1-value"}))
    assert (changes, unmanaged) == ([], ["stray-value"])


def test_the_fingerprint_moves_with_what_the_plan_was_made_from() -> None:
    seen = ObservedSubject("t.x.v1-value", _version(1), holds=1, compatibility="BACKWARD")
    before = _state(**{"t.x.v1-value": seen}).fingerprint()
    assert before == _state(**{"t.x.v1-value": seen}).fingerprint()
    moved = ObservedSubject("t.x.v1-value", _version(2), holds=1, compatibility="BACKWARD")
    assert before != _state(**{"t.x.v1-value": moved}).fingerprint()
    relevelled = ObservedSubject("t.x.v1-value", _version(1), holds=1, compatibility="FULL")
    assert before != _state(**{"t.x.v1-value": relevelled}).fingerprint()


def test_layers_put_each_subject_after_every_subject_it_references() -> None:
    found = [[s.subject for s in layer] for layer in layers(_subjects())]
    assert found == [
        ["acme/common/v1/money.proto", "acme/common/v1/currency.proto", "billing.invoices.v1-key"],
        ["acme/common/v1/price.proto", "billing.invoices.v1-value"],
        ["shop.orders.v1-value"],
    ]
