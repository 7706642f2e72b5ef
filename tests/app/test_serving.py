"""The subject of a client certificate, as the OCPP handshake reads it."""

from __future__ import annotations

import doctest

from hypothesis import given
from hypothesis import strategies as st

import app.serving
from app.serving import _rfc4514, common_name


def test_docstring_examples_run() -> None:
    result = doctest.testmod(app.serving)
    assert result.failed == 0 and result.attempted > 0


def test_subject_as_python_ssl_reports_it() -> None:
    subject = (
        (("countryName", "UZ"),),
        (("organizationName", "Quvvat, LLC"),),
        (("commonName", "CP-001"),),
    )
    name = _rfc4514(subject)
    assert name == "CN=CP-001,O=Quvvat\\, LLC,C=UZ"
    assert common_name(name) == "CP-001"
    assert common_name("O=No CN here") is None
    assert common_name(None) is None


@given(st.text(min_size=1, max_size=40))
def test_any_common_name_survives_the_round_trip(cn: str) -> None:
    subject = ((("organizationName", "O+=,x"),), (("commonName", cn),))
    assert common_name(_rfc4514(subject)) == cn
