"""How the app is served: uvicorn with TLS 1.3 only, and the client certificate
handed to the app (OCPP security profile 3).

uvicorn neither sets a minimum TLS version nor passes the client certificate of
a TLS connection to the application. :class:`ServerConfig` fixes the first
after uvicorn has built its SSL context; :class:`TlsWebSocketProtocol` adds the
ASGI TLS extension (``scope["extensions"]["tls"]``, keys as in the ASGI spec)
to WebSocket scopes, so the OCPP handshake can check that the certificate's
common name is the charge point's id.
"""

from __future__ import annotations

import re
import ssl
from typing import Any, Final

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from app.settings import Settings

#: RFC 4514 short names of the subject attributes Python's ``ssl`` reports.
_SHORT: Final = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}
_ESCAPE: Final = re.compile(r'([,+"\\<>;=])')


def _rfc4514(subject: Any) -> str:
    """``getpeercert()['subject']`` as an RFC 4514 string (last RDN first)."""
    return ",".join(
        "+".join(f"{_SHORT.get(k, k)}={_escape(str(v))}" for k, v in rdn)
        for rdn in reversed(subject)
    )


def _escape(value: str) -> str:
    return _ESCAPE.sub(r"\\\1", value)


def common_name(cert_name: str | None) -> str | None:
    """The CN of an RFC 4514 name (escapes undone), None when absent.

    >>> common_name("O=Quvvat,CN=CP-7\\\\,x")
    'CP-7,x'
    """
    if not cert_name:
        return None
    key, value, in_value, escaped = "", "", False, False
    for ch in cert_name + ",":
        if escaped:
            value += ch
            escaped = False
        elif ch == "\\" and in_value:
            escaped = True
        elif ch in ",+" and in_value:
            if key.strip().upper() == "CN":
                return value
            key, value, in_value = "", "", False
        elif ch == "=" and not in_value:
            in_value = True
        elif in_value:
            value += ch
        else:
            key += ch
    return None


class TlsWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's default WebSocket protocol (websockets sans-I/O) plus the ASGI
    TLS extension."""

    async def run_asgi(self) -> None:
        ssl_object = self.transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            cert = ssl_object.getpeercert()
            der = ssl_object.getpeercert(binary_form=True)
            cipher = ssl_object.cipher()
            self.scope["extensions"]["tls"] = {
                "server_cert": None,
                "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
                "client_cert_name": _rfc4514(cert["subject"]) if cert else None,
                "client_cert_error": None,
                "tls_version": 0x0304 if ssl_object.version() == "TLSv1.3" else None,
                "cipher_suite": None,
                "cipher_name": cipher[0] if cipher else None,
            }
        await super().run_asgi()


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration with TLS 1.3 as the minimum version."""

    def load(self) -> None:
        super().load()
        if self.ssl is not None:
            self.ssl.minimum_version = ssl.TLSVersion.TLSv1_3


def server_config(app: Any, settings: Settings, **kwargs: Any) -> ServerConfig:
    """The uvicorn configuration of ``quvvat serve`` (tests use it too).

    With ``QUVVAT_TLS_CA_CERTS`` every TLS client must present a certificate
    signed by that CA (security profile 3); the certificate's subject reaches
    the app through the ASGI TLS extension.
    """
    return ServerConfig(
        app,
        # Frames up to 4x the OCPP limit reach the handler and get a CALLERROR;
        # beyond that the socket is closed (1009) to protect the server.
        ws_max_size=4 * settings.ocpp_max_frame_bytes,
        ws=TlsWebSocketProtocol,
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
        ssl_ca_certs=settings.tls_ca_certs,
        ssl_cert_reqs=ssl.CERT_REQUIRED if settings.tls_ca_certs else ssl.CERT_NONE,
        **{"ws_ping_interval": settings.ws_ping_interval_s or None, **kwargs},
    )
