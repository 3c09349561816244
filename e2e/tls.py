"""A local certificate authority for the HTTPS pass: one CA, one certificate for
127.0.0.1, and the key's SPKI hash for pinning it in a browser."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from e2e.stack_files import write_private


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    cert_file: Path
    key_file: Path
    spki_sha256: str


def make_certificates(directory: Path, host: str) -> Tls:
    """A local CA and one server certificate for `host` that every service uses."""
    import trustme  # only the HTTPS pass needs it

    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    server = ca.issue_cert(host, "localhost")
    tls = Tls(
        ca_file=directory / "ca.pem",
        cert_file=directory / "server.pem",
        key_file=directory / "server.key",
        spki_sha256=spki_sha256(server.cert_chain_pems[0].bytes()),
    )
    ca.cert_pem.write_to_path(str(tls.ca_file))
    with tls.cert_file.open("wb") as chain:
        for pem in server.cert_chain_pems:
            chain.write(pem.bytes())
    write_private(tls.key_file, server.private_key_pem.bytes())
    return tls


def spki_sha256(cert_pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(cert_pem)
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()
