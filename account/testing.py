"""Google ID tokens for tests: signed here with a local RSA key, verified against that key's
certificate served where Google serves its own (stub the URL with `responses`). No network."""

import time
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt
from google.auth import jwt as google_jwt

CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
CLIENT_ID = "1234567890-web.apps.googleusercontent.com"
KEY_ID = "f5f4bf46e52b31d9b6249f7309ad0338400680cd"


def _key_and_certificate():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.google.com")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


PRIVATE_PEM, CERTIFICATE_PEM = _key_and_certificate()
OTHER_PRIVATE_PEM, _ = _key_and_certificate()


def id_token(private_pem=PRIVATE_PEM, **overrides) -> str:
    """An ID token shaped like Google's."""
    now = int(time.time())
    claims = {
        "iss": "https://accounts.google.com",
        "azp": CLIENT_ID,
        "aud": CLIENT_ID,
        "sub": "110169484474386276334",
        "email": "carol@gmail.com",
        "email_verified": True,
        "name": "Carol Google",
        "picture": "https://lh3.googleusercontent.com/a/carol",
        "given_name": "Carol",
        "family_name": "Google",
        "iat": now,
        "exp": now + 3600,
    }
    claims.update(overrides)
    signer = crypt.RSASigner.from_string(private_pem, key_id=KEY_ID)
    return google_jwt.encode(signer, claims).decode()
