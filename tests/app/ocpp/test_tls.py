"""Security profiles 2/3: wss:// (TLS 1.3 only) with the server certificate, client
certificates required when a CA is configured, and under profile 3 the
certificate's CN must be the charge point id (certificates made here with openssl)."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from app.sim.charge_point import basic_auth
from tests.app.ocpp.conftest import PASSWORD, LiveServer, dedicated_server
from tests.pg import PgServer


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "ca.key"),
             "-out", str(d / "ca.pem"), "-days", "2", "-subj", "/CN=Quvvat Test CA")  # fmt: skip
    for name, subject, ext in (
        ("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1"),
        ("client", "/O=Quvvat Test/CN=TLS-CP", "extendedKeyUsage=clientAuth"),
    ):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / f"{name}.key"),
                 "-out", str(d / f"{name}.csr"), "-subj", subject, "-addext", ext)  # fmt: skip
        _openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.pem"),
                 "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-out", str(d / f"{name}.pem"),
                 "-days", "2", "-copy_extensions", "copy")  # fmt: skip
    return d


@pytest.fixture(scope="module")
def tls_server(pg: PgServer, schema_template: str, pki: Path) -> Iterator[LiveServer]:
    yield from dedicated_server(
        pg,
        schema_template,
        "quvvat_t_ocpp_tls",
        tls_certfile=pki / "server.pem",
        tls_keyfile=pki / "server.key",
        tls_ca_certs=pki / "ca.pem",
    )


def _context(pki: Path, client_cert: bool) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if client_cert:
        ctx.load_cert_chain(str(pki / "client.pem"), str(pki / "client.key"))
    return ctx


@pytest.mark.anyio
async def test_profile_3_connects_over_wss_with_client_certificate(
    tls_server: LiveServer, pki: Path
) -> None:
    # profile 3 authenticates by the certificate alone: no Basic password
    cp = tls_server.add_charge_point(cp_id="TLS-CP", password=None, profile=3)
    url = f"wss://127.0.0.1:{tls_server.port}/ocpp/{cp}"
    async with websockets.connect(
        url, subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
        ssl=_context(pki, client_cert=True),
    ) as ws:  # fmt: skip
        await ws.send('[2,"h1","Heartbeat",{}]')
        answer = await ws.recv()
        assert str(answer).startswith('[3,"h1",{"currentTime"')
        assert ws.transport.get_extra_info("ssl_object").version() == "TLSv1.3"


@pytest.mark.anyio
async def test_profile_3_certificate_of_another_charge_point_is_refused(
    tls_server: LiveServer, pki: Path
) -> None:
    cp = tls_server.add_charge_point(profile=3)  # the certificate names TLS-CP
    with pytest.raises(websockets.InvalidStatus) as e:
        async with websockets.connect(
            f"wss://127.0.0.1:{tls_server.port}/ocpp/{cp}", subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            additional_headers=basic_auth(cp, PASSWORD), ssl=_context(pki, client_cert=True),
        ):  # fmt: skip
            pass
    assert e.value.response.status_code == 403
    assert b"CN='TLS-CP'" in e.value.response.body


@pytest.mark.anyio
async def test_tls_below_1_3_is_refused(tls_server: LiveServer, pki: Path) -> None:
    cp = tls_server.add_charge_point(profile=2)
    ctx = _context(pki, client_cert=True)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, ConnectionError)):
        async with websockets.connect(
            f"wss://127.0.0.1:{tls_server.port}/ocpp/{cp}", subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            additional_headers=basic_auth(cp, PASSWORD), ssl=ctx,
        ):  # fmt: skip
            pass


@pytest.mark.anyio
async def test_without_client_certificate_or_tls_the_handshake_fails(
    tls_server: LiveServer, pki: Path
) -> None:
    cp = tls_server.add_charge_point(profile=3)
    with pytest.raises(
        (ssl.SSLError, ConnectionError, websockets.InvalidHandshake, EOFError)
    ):
        async with websockets.connect(
            f"wss://127.0.0.1:{tls_server.port}/ocpp/{cp}", subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            additional_headers=basic_auth(cp, PASSWORD), ssl=_context(pki, client_cert=False),
        ) as ws:  # fmt: skip
            await ws.recv()
    with pytest.raises(
        (ConnectionError, websockets.InvalidHandshake, EOFError, OSError)
    ):
        async with websockets.connect(
            f"ws://127.0.0.1:{tls_server.port}/ocpp/{cp}", subprotocols=["ocpp2.0.1"],  # type: ignore[list-item]
            additional_headers=basic_auth(cp, PASSWORD), open_timeout=5,
        ):  # fmt: skip
            pass
