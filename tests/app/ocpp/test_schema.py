"""The compiled OCPP schema checks agree with the ``ocpp`` library's validator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import ocpp
import ocpp.messages
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, MessageType, _validate_payload

from app.ocpp import schema

SCHEMAS = sorted(
    (Path(ocpp.__file__).parent / v / "schemas" / f.name, version)
    for v, version in (("v16", "1.6"), ("v201", "2.0.1"))
    for f in (Path(ocpp.__file__).parent / v / "schemas").glob("*.json")
)


def _load(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
    return out


def _near(  # noqa: PLR0912  # one branch per JSON type
    node: dict[str, Any], root: dict[str, Any], depth: int, strict: bool
) -> st.SearchStrategy[Any]:
    """Values ``node`` allows (``strict``) or values close to them, often just
    outside (wrong types, out of range, too long, missing or extra keys)."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _near(root["definitions"][name], root, depth, strict)
    junk = st.one_of(
        st.none(), st.booleans(), st.integers(-3, 3), st.just(1.0), st.just(2.5),
        st.text(max_size=3), st.just([]), st.just({}),
    )  # fmt: skip
    if depth > 4:
        return junk
    options: list[st.SearchStrategy[Any]] = []
    kind = node.get("type")
    if "enum" in node:
        options.append(st.sampled_from(node["enum"]))
    elif kind == "string":
        top = node.get("maxLength", 20)
        options.append(st.text(max_size=min(top, 8)))
        options.append(st.sampled_from(["2026-12-07T01:00:00Z", "é" * top]))
        if not strict:
            options.append(st.just("a" * (top + 1)))
    elif kind in ("integer", "number"):
        lo, hi = node.get("minimum", -(10**6)), node.get("maximum", 10**6)
        options.append(st.integers(int(lo), int(hi)))
        if kind == "number":
            options.append(st.floats(lo, hi, allow_nan=False))
        if not strict:
            options.append(st.sampled_from([0.0, 1.0, -1.5, 1e12, lo - 1, hi + 1]))
    elif kind == "boolean":
        options.append(st.booleans())
    elif kind == "array":
        item = _near(node.get("items", {}), root, depth + 1, strict)
        lo, hi = node.get("minItems", 0), node.get("maxItems", 3)
        if strict:
            options.append(st.lists(item, min_size=lo, max_size=min(hi, max(lo, 3))))
        else:
            options.append(
                st.lists(item, min_size=max(0, lo - 1), max_size=min(hi + 1, 4))
            )
    elif kind == "object" or "properties" in node:
        props = node.get("properties", {})
        required = set(node.get("required", []))
        fields = {
            k: _near(v, root, depth + 1, strict) for k, v in sorted(props.items())
        }
        keep_required = 1.0 if strict else 0.9

        @st.composite
        def objects(draw: st.DrawFn) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for k, strat in fields.items():
                if draw(st.floats(0, 1)) < (keep_required if k in required else 0.4):
                    out[k] = draw(strat)
            if not strict and draw(st.floats(0, 1)) < 0.1:
                out[draw(st.text(min_size=1, max_size=4))] = draw(junk)
            return out

        options.append(objects())
    if not strict or not options:
        options.append(junk)
    return st.one_of(*options)


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, Any]:
    path, version = draw(st.sampled_from(SCHEMAS))
    root = _load(path)
    strict = draw(st.booleans())
    return path.name, version, draw(_near(root, root, 0, strict))


@settings(
    max_examples=800,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases())
def test_compiled_check_accepts_only_what_the_library_accepts(
    case: tuple[str, str, Any],
) -> None:
    """Over every schema of both versions, with payloads near their edges:
    the compiled check never accepts one the library would refuse, and
    agrees with it in almost all cases (it may only be stricter)."""
    name, version, payload = case
    root = _load(
        Path(ocpp.__file__).parent
        / ("v16" if version == "1.6" else "v201")
        / "schemas"
        / name
    )
    slow = jsonschema.Draft4Validator(root)
    fast = schema.CompiledValidator(slow)
    slow_ok = slow.is_valid(payload)
    try:
        fast._fast(payload)
        fast_ok = True
    except Exception:
        fast_ok = False
    assert not fast_ok or slow_ok, (name, payload)
    assert fast_ok == slow_ok, (
        f"{name}: compiled check stricter than the library for {payload!r}"
    )


def _as_call(action: str, payload: dict[str, Any], version: str) -> None:
    _validate_payload(Call("1", action, payload), version)


@pytest.mark.parametrize(
    ("action", "payload", "version", "error"),
    [
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}, "1.6", None),
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}, "1.6", "FormatViolation"),
        ("StatusNotification", {"connectorId": "1", "errorCode": "NoError", "status": "Available"}, "1.6", "TypeConstraintViolation"),
        ("StatusNotification", {"connectorId": 1, "status": "Available"}, "1.6", "ProtocolError"),
        ("BootNotification", {"chargePointVendor": "Q", "chargePointModel": "M", "x": 1}, "1.6", "FormatViolation"),
        ("BootNotification", {"chargePointVendor": "Q" * 21, "chargePointModel": "M"}, "1.6", "TypeConstraintViolation"),
        ("Heartbeat", {}, "2.0.1", None),
        ("BootNotification", {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}}, "2.0.1", None),
        ("BootNotification", {"reason": "Later", "chargingStation": {"model": "M", "vendorName": "V"}}, "2.0.1", "FormatViolation"),
    ],
)  # fmt: skip
def test_errors_are_the_librarys(
    action: str, payload: dict[str, Any], version: str, error: str | None
) -> None:
    """With the compiled checks installed, valid payloads pass and invalid ones
    give the CALLERROR code the library's own validator gives."""
    schema.install()
    assert ocpp.messages.get_validator is schema._get_validator
    validator = ocpp.messages.get_validator(MessageType.Call, action, version)
    assert isinstance(validator, schema.CompiledValidator)
    if error is None:
        _as_call(action, payload, version)
        return
    with pytest.raises(OCPPError) as got:
        _as_call(action, payload, version)
    assert got.value.code == error
