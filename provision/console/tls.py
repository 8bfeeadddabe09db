"""HTTPS for a console the classroom reaches: the console password and the session cross the room's
network, so beyond loopback they cross it encrypted.

The console makes its own certificate at the first start (self-signed, its key owner-only in the console's
folder) and keeps it, so the fingerprint the trainer reads out stays the same from lesson to lesson; a
trainee's browser warns about a self-signed certificate, and the fingerprint printed at start is what they
check it against. A trainer with a certificate of the site's own names it instead (``--cert``, ``--key``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provision.clients.workspace import Workspace
from provision.console.auth import console_dir
from provision.errors import EnvironmentProblem, InputError
from seed.outfile import write_output

DAYS = 825  # how long a made certificate lasts ...
RENEW_DAYS = 30  # ... and how close to its end it is made anew
WILDCARDS = ("0.0.0.0", "::", "")
LARGEST = 1024**2  # a certificate chain or a key in PEM is a few kilobytes

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the certificate, AA:BB:... as browsers show it
    made: bool  # made at this start
    replaced: str = ""  # why the one kept before was not kept ("" if there was none)

    @property
    def how(self) -> str:
        """Where it comes from, as the command prints it."""
        if not self.made:
            return str(self.cert)
        return f"made now; the one kept before was not: {self.replaced}" if self.replaced else "made now"


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def tls_folder(workspace: Workspace) -> Path:
    return console_dir(workspace) / "tls"


def _as_address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def host_names(host: str) -> tuple[list[str], list[Address]]:
    """The names and addresses a trainee may type for this machine: its host names, the addresses they
    resolve to, the address of each outward route, loopback, and ``host`` itself unless it is a wildcard."""
    names = {"localhost", socket.gethostname(), socket.getfqdn()}
    found: set[Address] = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    if host not in WILDCARDS:
        given = _as_address(host)
        if given is None:
            names.add(host)
        else:
            found.add(given)
    for name in list(names):
        try:
            found.update(ip for info in socket.getaddrinfo(name, None) if (ip := _as_address(str(info[4][0]))))
        except OSError:
            continue
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:  # a UDP "connection" sends nothing: it only picks the address the route would use
            with socket.socket(family, socket.SOCK_DGRAM) as udp:
                udp.connect((probe, 9))
                if own := _as_address(str(udp.getsockname()[0])):
                    found.add(own)
        except OSError:
            continue
    kept = sorted(n for n in names if n and _as_address(n) is None and all(ord(c) < 128 for c in n))
    return kept, sorted(found, key=lambda ip: (ip.version, int(ip)))


def _make(host: str) -> tuple[bytes, bytes]:
    """A self-signed certificate for this machine and its key, both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    names, addresses = host_names(host)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"provision console {socket.gethostname()}"[:64])])
    now = dt.datetime.now(dt.UTC)
    alt = [x509.DNSName(n) for n in names] + [x509.IPAddress(ip) for ip in addresses]
    usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)  # digital signature
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def _kept(cert_path: Path, key_path: Path, host: str) -> x509.Certificate | str:
    """The certificate made before, if it is whole, its key matches, it is not near its end and it names
    ``host``; otherwise why it is made anew ("" when there was none)."""
    if not cert_path.exists() and not key_path.exists():
        return ""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        ours = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        if cert.public_key().public_bytes(*ours) != key.public_key().public_bytes(*ours):
            return f"{key_path} is not the key of {cert_path}"
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except OSError as exc:
        return f"{exc.filename or cert_path} cannot be read ({exc.strerror or exc})"
    except x509.ExtensionNotFound:
        return f"{cert_path} names no address (no subjectAltName): browsers refuse such a certificate"
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        return f"{cert_path} or its key is damaged or not PEM ({exc})"
    ends = cert.not_valid_after_utc
    if ends - dt.datetime.now(dt.UTC) < dt.timedelta(days=RENEW_DAYS):
        return f"{cert_path} ends on {ends:%Y-%m-%d}"
    if host not in WILDCARDS:
        given = _as_address(host)
        named = alt.get_values_for_type(x509.IPAddress) if given else alt.get_values_for_type(x509.DNSName)
        if (given or host) not in named:
            return f"{cert_path} does not name {host}"
    return cert


def own_certificate(workspace: Workspace, host: str) -> Certificate:
    """The console's own certificate for ``host``: the one kept in the console's folder, or one made now
    (saying why the kept one was not kept: its fingerprint, which trainees may know, changes)."""
    folder = tls_folder(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    cert_path, key_path = folder / "console.crt", folder / "console.key"
    kept = _kept(cert_path, key_path, host)
    if isinstance(kept, x509.Certificate):
        if key_path.stat().st_mode & 0o077:
            os.chmod(key_path, 0o600)
        return Certificate(cert_path, key_path, fingerprint(kept), made=False)
    pem_cert, pem_key = _make(host)
    try:
        write_output(key_path, pem_key, private=True)
        write_output(cert_path, pem_cert, private=True)
        os.chmod(cert_path, 0o644)
    except OSError as exc:  # an OutputError naming the file, or the chmod's own
        raise EnvironmentProblem(
            f"the console's certificate cannot be made in {folder}: {exc}", fix="free some space there"
        ) from None
    made = x509.load_pem_x509_certificate(pem_cert)
    return Certificate(cert_path, key_path, fingerprint(made), made=True, replaced=kept)


def named_certificate(cert: Path, key: Path) -> Certificate:
    """The trainer's own certificate and key (PEM), checked as the server will load them."""
    for option, path in (("--cert", cert), ("--key", key)):
        try:
            why = None if path.is_file() else "not a file" if path.exists() or path.is_symlink() else "no such file"
            if why is None and path.stat().st_size > LARGEST:
                why = "too large for a PEM file"
        except (OSError, ValueError) as exc:  # a name too long, a NUL byte
            why = f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
        if why is not None:
            raise InputError(f"{option} {str(path)[:200]!r}: {why}", fix="give the PEM file itself")
    try:
        parsed = x509.load_pem_x509_certificate(cert.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(
            f"--cert {cert}: not a PEM certificate ({exc})", fix="give the certificate in PEM (-----BEGIN CERTIFICATE)"
        ) from None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert, key, password=lambda: "")  # never a prompt
    except (OSError, ssl.SSLError) as exc:
        raise InputError(
            f"--key {key}: not the key of {cert} ({getattr(exc, 'reason', None) or exc})",
            fix="give the certificate's own private key in PEM, without a passphrase",
        ) from None
    return Certificate(cert, key, fingerprint(parsed), made=False)
