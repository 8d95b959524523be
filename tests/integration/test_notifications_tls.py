"""[mail] security = "starttls" and "ssl" deliver over TLS to a server whose certificate is checked against ca_file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from smtp_sink import SmtpSink

from engine.outbox.notices import list_notices
from engine.runtime.engine import Engine
from notifications import deliver_pending

SAN = "DNS:localhost,IP:127.0.0.1"  # the channel connects to [mail] host = 127.0.0.1 and checks the name


def _with_cryptography(cert: Path, key: Path) -> None:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)  # the wall clock, not the engine's: TLS checks validity against it
    built = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                            critical=False)
             .sign(private, hashes.SHA256()))
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))


def _with_openssl(openssl: str, cert: Path, key: Path) -> None:
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-subj", "/CN=localhost", "-days", "1", "-addext", f"subjectAltName={SAN}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost/127.0.0.1 and its key, made once for this module."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        _with_cryptography(cert, key)
    except ImportError:
        openssl = shutil.which("openssl")
        if openssl is None:
            pytest.skip("cannot make a test certificate: neither the cryptography package nor openssl is installed")
        _with_openssl(openssl, cert, key)
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*certificate)
    return ctx


@pytest.fixture(params=["starttls", "ssl"])
def tls_sink(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[SmtpSink]:
    """A loopback SMTP server speaking STARTTLS (required before MAIL) or implicit TLS."""
    sink = SmtpSink(security=request.param, tls_context=_server_context(certificate)).start()
    yield sink
    sink.stop()


def _mail_to(eng: Engine, sink: SmtpSink, ca_file: str) -> None:
    eng.config = dataclasses.replace(eng.config, mail=dataclasses.replace(
        eng.config.mail, port=sink.port, security=sink.security, ca_file=ca_file))


def _statuses(eng: Engine) -> list[str]:
    with eng.db.read() as s:
        return [n.status for n in list_notices(s)]


def test_notice_is_delivered_once_over_tls(notify_eng: Engine, open_case: Callable[..., int],
                                           tls_sink: SmtpSink, certificate: tuple[Path, Path]) -> None:
    _mail_to(notify_eng, tls_sink, str(certificate[0]))
    case = open_case(title="Klotter vid stationen", assignee="official")
    first = deliver_pending(notify_eng)
    again = deliver_pending(notify_eng)
    assert (first.messages, first.notices_sent, first.retried, again.messages) == (1, 1, 0, 0)
    [msg] = tls_sink.to("official@example.org")
    assert f"/cases/{case}" in msg.as_string()
    assert len(tls_sink.messages) == 1
    assert _statuses(notify_eng) == ["sent"]


def test_an_untrusted_certificate_is_refused_and_the_notice_retried(
        notify_eng: Engine, open_case: Callable[..., int], tls_sink: SmtpSink) -> None:
    _mail_to(notify_eng, tls_sink, "")  # only the system's CAs, which did not sign the test certificate
    open_case(title="Klotter vid stationen", assignee="official")
    summary = deliver_pending(notify_eng)
    assert (summary.messages, summary.retried) == (0, 1)
    assert "certificate verify failed" in (summary.error or "")
    assert tls_sink.messages == []
    assert _statuses(notify_eng) == ["pending"]
