"""Bad frames get the right CALLERROR; the socket stays up; others are unaffected."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from app.sim.charge_point import basic_auth, connected
from tests.app.ocpp.conftest import PASSWORD, LiveServer


def _open(live: LiveServer, proto: str) -> ClientConnection:
    cp_id = live.add_charge_point()
    return connect(
        f"{live.ws}/{cp_id}", subprotocols=[proto],  # type: ignore[list-item]
        additional_headers=basic_auth(cp_id, PASSWORD), max_size=2**24, open_timeout=10,
    )  # fmt: skip


def _heartbeat_ok(ws: ClientConnection) -> list[Any]:
    """Send a Heartbeat; return every frame that came before its answer."""
    uid = f"hb-{uuid.uuid4().hex[:8]}"
    ws.send(json.dumps([2, uid, "Heartbeat", {}]))
    before: list[Any] = []
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame[:2] == [3, uid]:
            assert "currentTime" in frame[2]
            return before
        before.append(frame)


CASES = [
    # (frame, 1.6 code, 2.0.1 code, expected unique id)
    ("{not json", "FormationViolation", "FormatViolation", "-1"),
    ('[2, "u1", "Heartbeat"', "FormationViolation", "FormatViolation", "u1"),
    ('{"a": 1}', "ProtocolError", "ProtocolError", "-1"),
    ('[2, "u2", "NoSuchAction", {}]', "NotImplemented", "NotImplemented", "u2"),
    ('[2, "u3", "Reset", {"type": "Hard"}]', "NotSupported", "NotSupported", "u3"),
    (
        '[7, "u4", "Heartbeat", {}]',
        "PropertyConstraintViolation",
        "MessageTypeNotSupported",
        "u4",
    ),
    ('[2, "u5", "Heartbeat", []]', "FormationViolation", "FormatViolation", "u5"),
    ('[2, 5, "Heartbeat", {}]', "ProtocolError", "ProtocolError", "-1"),
    ("[2]", "ProtocolError", "ProtocolError", "-1"),
]
SCHEMA = {
    "ocpp1.6": [
        ('[2, "s1", "Authorize", {}]', "ProtocolError"),  # required property missing
        ('[2, "s2", "Authorize", {"idTag": 5}]', "TypeConstraintViolation"),
        ('[2, "s3", "Authorize", {"idTag": "x", "extra": 1}]', "FormationViolation"),
        ('[2, "s4", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Exploded"}]',
         "FormationViolation"),
        ('[2, "s5", "StartTransaction", {"connectorId": 1, "idTag": "x", "meterStart": 0, "timestamp": "yesterday"}]',
         "FormationViolation"),
    ],
    "ocpp2.0.1": [
        ('[2, "s1", "Authorize", {}]', "ProtocolError"),
        ('[2, "s2", "Heartbeat", {"x": 1}]', "FormatViolation"),
        ('[2, "s3", "StatusNotification", {"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Exploded",'
         ' "evseId": 1, "connectorId": 1}]', "FormatViolation"),
        ('[2, "s4", "StatusNotification", {"timestamp": "not a time", "connectorStatus": "Available",'
         ' "evseId": 1, "connectorId": 1}]', "FormatViolation"),
    ],
}  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize("proto", ["ocpp1.6", "ocpp2.0.1"])
async def test_bad_frames_get_the_right_callerror_and_the_socket_stays(
    live_server: LiveServer, proto: str
) -> None:
    other_id = live_server.add_charge_point()
    async with connected(live_server.ws, other_id, proto, password=PASSWORD) as other:
        await other.boot()
        with _open(live_server, proto) as ws:
            for frame, code16, code201, uid in CASES:
                ws.send(frame)
                answer = json.loads(ws.recv(timeout=10))
                assert answer[:3] == [
                    4,
                    uid,
                    code16 if proto == "ocpp1.6" else code201,
                ], frame
                assert isinstance(answer[3], str) and answer[3]
                assert isinstance(answer[4], dict)
                assert _heartbeat_ok(ws) == []
            for frame, code in SCHEMA[proto]:
                ws.send(frame)
                answer = json.loads(ws.recv(timeout=10))
                assert answer[0] == 4 and answer[2] == code, (frame, answer)
                assert _heartbeat_ok(ws) == []
            # Oversize frame.
            limit = live_server.settings.ocpp_max_frame_bytes
            ws.send(
                json.dumps(
                    [
                        2,
                        "big1",
                        "DataTransfer",
                        {"vendorId": "x", "data": "A" * (limit + 10)},
                    ]
                )
            )
            answer = json.loads(ws.recv(timeout=10))
            assert answer[:3] == [
                4,
                "big1",
                "FormationViolation" if proto == "ocpp1.6" else "FormatViolation",
            ]
            assert str(limit) in answer[3]
            assert _heartbeat_ok(ws) == []
            # A response to nothing we asked is ignored, not answered.
            ws.send('[3, "nobody-asked", {}]')
            assert _heartbeat_ok(ws) == []
        # The other charge point never noticed.
        await other.heartbeat()
        assert other.stats.errors == {}


@pytest.fixture(scope="module")
def fuzz_socket(live_server: LiveServer) -> Any:
    with _open(live_server, "ocpp2.0.1") as ws:
        yield ws


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
frames = st.one_of(
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(max_size=300),
    json_values.map(json.dumps),
    st.tuples(
        st.sampled_from([2, 3, 4, 5, -1, "2"]),
        st.text(min_size=1, max_size=40),
        st.sampled_from(
            [
                "Heartbeat",
                "BootNotification",
                "Authorize",
                "TransactionEvent",
                "Nope",
                "",
            ]
        ),
        json_values,
    ).map(lambda t: json.dumps(list(t))),
)


def _valid_heartbeat(frame: str) -> bool:
    try:
        msg = json.loads(frame)
    except ValueError:
        return False
    return (
        isinstance(msg, list)
        and len(msg) == 4
        and msg[0] == 2
        and msg[2] == "Heartbeat"
        and msg[3] == {}
        and isinstance(msg[1], str)
        and 0 < len(msg[1]) <= 36
    )


@settings(
    max_examples=80,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=None,
)
@given(frame=frames)
def test_arbitrary_frames_only_yield_ocpp_errors(
    fuzz_socket: ClientConnection, frame: str
) -> None:
    fuzz_socket.send(frame)
    for answer in _heartbeat_ok(fuzz_socket):
        if _valid_heartbeat(frame):  # the generator can build a good call too
            assert answer[0] == 3 and "currentTime" in answer[2], answer
            continue
        assert isinstance(answer, list) and answer[0] == 4, answer
        assert isinstance(answer[2], str) and answer[2] in {
            "FormatViolation", "ProtocolError", "NotImplemented", "NotSupported", "MessageTypeNotSupported",
            "PropertyConstraintViolation", "TypeConstraintViolation", "OccurrenceConstraintViolation",
            "InternalError", "SecurityError", "GenericError", "RpcFrameworkError",
        }, answer  # fmt: skip
