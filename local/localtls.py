"""A local TLS certificate, so `https://{domainName}/{stage}` - how AWS's documentation builds the
`@connections` endpoint from a WebSocket event's requestContext - reaches the local WebSocket port.

At start the runtime generates a self-signed certificate (EC P-256, valid one day) for `localhost`,
`127.0.0.1` and the `--host`, and serves TLS on the WebSocket port next to plain HTTP (the server looks at
the first byte of each connection: 0x16 is a TLS handshake). Functions trust it through `AWS_CA_BUNDLE`
(honoured by boto3/botocore): a bundle of the certificate plus certifi's public roots, so nothing else a
function verifies changes. Development only: the key never leaves the runtime's temporary directory.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

BUNDLE_NAME = "ca-bundle.pem"


def generate(directory: Path, host: str) -> tuple[ssl.SSLContext, Path]:
    """A server context with a fresh certificate, and the CA bundle file that trusts it."""
    import certifi
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    try:
        address = ipaddress.ip_address(host)
        if str(address) != "127.0.0.1":
            names.append(x509.IPAddress(address))
    except ValueError:
        names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pitchey-local development certificate")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    cert_path, key_path, bundle_path = (
        directory / "cert.pem",
        directory / "key.pem",
        directory / BUNDLE_NAME,
    )
    cert_path.write_bytes(cert_pem)
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    bundle_path.write_bytes(cert_pem + b"\n" + Path(certifi.where()).read_bytes())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, bundle_path
