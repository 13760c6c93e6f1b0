"""A TLS endpoint with a private CA in front of the test's moto server.

    python tls.py MOTO_PORT DIR

Makes a CA and a certificate for 127.0.0.1 and localhost signed by it, writes the CA to
DIR/ca.pem (what AWS_CA_BUNDLE or ca_bundle point at) and a second, unrelated CA to
DIR/other-ca.pem, then serves TLS on a free loopback port, printed as "port N", and passes
each connection's bytes on to moto. It serves until its stdin closes, as moto does (the
test binary holds it), and then removes DIR.
"""

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def certificate(subject, issuer, key, signer, extensions) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer, hashes.SHA256())


def make_ca(common: str):
    key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    cert = certificate(
        name(common),
        name(common),
        key,
        key,
        [(x509.BasicConstraints(ca=True, path_length=0), True), (usage, True)],
    )
    return cert, key


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def write_certificates(directory: str) -> tuple[str, str]:
    ca, ca_key = make_ca("awsenv test CA")
    other, _ = make_ca("awsenv unrelated CA")
    key = ec.generate_private_key(ec.SECP256R1())
    names = x509.SubjectAlternativeName(
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    )
    server = certificate(
        name("127.0.0.1"),
        ca.subject,
        key,
        ca_key,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (names, False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    with open(os.path.join(directory, "ca.pem"), "wb") as f:
        f.write(pem(ca))
    with open(os.path.join(directory, "other-ca.pem"), "wb") as f:
        f.write(pem(other))
    chain = os.path.join(directory, "server.pem")
    secret = os.path.join(directory, "server.key")
    with open(chain, "wb") as f:
        f.write(pem(server))
    with open(secret, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return chain, secret


def pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(connection: socket.socket, context: ssl.SSLContext, moto_port: int) -> None:
    try:
        client = context.wrap_socket(connection, server_side=True)
    except (ssl.SSLError, OSError):
        # A client that does not trust the CA hangs up in the handshake, as it should.
        connection.close()
        return
    upstream = socket.create_connection(("127.0.0.1", moto_port))
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
    pump(client, upstream)


def main() -> None:
    moto_port, directory = int(sys.argv[1]), sys.argv[2]
    chain, secret = write_certificates(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, secret)
    listener = socket.create_server(("127.0.0.1", 0))
    print(f"port {listener.getsockname()[1]}", flush=True)

    def accept() -> None:
        while True:
            connection, _ = listener.accept()
            threading.Thread(
                target=serve, args=(connection, context, moto_port), daemon=True
            ).start()

    threading.Thread(target=accept, daemon=True).start()
    sys.stdin.buffer.read()
    shutil.rmtree(directory, ignore_errors=True)
    os._exit(0)


if __name__ == "__main__":
    main()
