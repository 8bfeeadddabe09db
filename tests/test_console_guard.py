"""The console against a hostile user: numbers in ASCII digits only, a lock-out that neither a forwarded
header nor many addresses get round and that never shuts the trainer out, and HTTPS beyond loopback with a
certificate made once (or the trainer's own)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.testclient import TestClient
from typer.testing import CliRunner

from provision.cli import app as cli_app
from provision.clients.workspace import Workspace
from provision.console import auth, tls
from provision.console.app import make_app
from provision.console.lockout import Limits, Lockout, is_loopback, pause
from provision.inputs import ascii_number
from tests.test_console import csrf_of

QUICK = Limits(trusted_cap=0.05, overall_base=0.001, overall_cap=0.02)  # slow answers, shortened for the tests


# -- pure logic ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["０", "１", "٣", "²", "+1", "-1", " 1", "1 ", "1\n", "1_0", "", "1" * 19, "all"])
def test_only_ascii_digits_are_a_number(text: str) -> None:
    assert ascii_number(text) is None


def test_ascii_digits_are_a_number() -> None:
    assert [ascii_number(t) for t in ("0", "7", "0012", "8470")] == [0, 7, 12, 8470]
    assert ascii_number(None) is None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_delay_doubles_and_stops_at_its_cap() -> None:
    delays = [pause(n, 4, 5.0, 300.0) for n in range(1, 14)]
    assert delays[:4] == [0.0] * 4 and delays[4:8] == [5.0, 10.0, 20.0, 40.0] and delays[-1] == 300.0
    assert pause(10**6, 4, 5.0, 300.0) == 300.0


def test_one_address_is_refused_then_let_try_again_later() -> None:
    clock = Clock()
    lockout = Lockout(clock=clock)
    for _ in range(Limits().free_per_address + 1):  # each counted as it is let through
        assert not lockout.admit("192.0.2.7").refuse
    refused = lockout.admit("192.0.2.7")
    assert refused.refuse and refused.seconds == 5
    assert not lockout.admit("192.0.2.8").refuse  # another address is not held by this one's failures
    clock.now += 5.0
    assert not lockout.admit("192.0.2.7").refuse
    assert lockout.admit("192.0.2.7").seconds == 10  # the one let through counted: the next waits longer
    clock.now += Limits().window + 1
    assert not lockout.admit("192.0.2.7").refuse  # the old failures are forgotten


def test_attempts_at_once_see_each_other() -> None:
    """Fifty attempts before any is answered: the free ones and no more are let through."""
    clock = Clock()
    lockout = Lockout(clock=clock)
    free = Limits().free_per_address + 1
    assert [lockout.admit("192.0.2.7").refuse for _ in range(50)] == [False] * free + [True] * (50 - free)
    clock.now += Limits().address_cap + 1  # the longest delay has passed: one more, not fifty
    assert [lockout.admit("192.0.2.7").refuse for _ in range(50)] == [False] + [True] * 49


def test_a_right_password_is_forgiven() -> None:
    lockout = Lockout(clock=Clock())
    for _ in range(3):
        lockout.admit("192.0.2.7")
    verdict = lockout.admit("192.0.2.7")
    lockout.succeeded("192.0.2.7", verdict)
    assert len(lockout.overall.times) == 3 and "192.0.2.7" not in lockout.addresses
    assert lockout.trusted("192.0.2.7")


def test_many_addresses_are_slowed_together_never_refused() -> None:
    clock = Clock()
    lockout = Lockout(clock=clock)
    lim = Limits()
    waits = []
    for n in range(100):  # a hundred addresses fail at once, one attempt each
        verdict = lockout.admit(f"198.51.100.{n}")
        assert not verdict.refuse
        waits.append(verdict.wait)
    assert waits[: lim.free_overall + 1] == [0.0] * (lim.free_overall + 1)
    assert waits[lim.free_overall + 1 : lim.free_overall + 5] == [1.0, 3.0, 7.0, 15.0]  # slots a doubling apart
    assert waits == sorted(waits) and waits[-1] == lim.overall_cap
    newcomer = lockout.admit("203.0.113.99")  # the trainer's laptop, not seen this run: slowed, let in
    assert not newcomer.refuse and newcomer.wait == lim.overall_cap
    lockout.succeeded("203.0.113.99", newcomer)
    assert lockout.admit("203.0.113.99").wait == 0.0  # from now on theirs: the network does not hold it
    trainer = lockout.admit("127.0.0.1")
    assert not trainer.refuse and trainer.wait == 0.0  # the trainer's machine is not held by the network


def test_the_trainers_machine_is_slowed_never_refused() -> None:
    clock = Clock()
    lockout = Lockout(clock=clock)
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "127.0.0.2"):
        assert is_loopback(address)
        for _ in range(50):
            lockout.admit(address)
        verdict = lockout.admit(address)
        assert not verdict.refuse and 0 < verdict.wait <= Limits().trusted_cap
    assert not is_loopback("192.0.2.2") and not is_loopback("testclient")
    lockout.succeeded("192.0.2.9", lockout.admit("192.0.2.9"))  # the trainer logged in from there
    for _ in range(50):
        lockout.admit("192.0.2.9")
    assert not lockout.admit("192.0.2.9").refuse


# -- the application ----------------------------------------------------------------------------------------
@pytest.fixture
def console_app(tmp_path: Path) -> tuple[Starlette, str]:
    ws = Workspace(tmp_path)
    (ws.compose_root / "x").mkdir(parents=True)
    (ws.compose_root / "x" / "client.toml").write_text("[postgres]\nport = 55995\n", encoding="utf-8")
    password = auth.console_password(ws)[0]
    app = make_app(ws, password)
    app.state.console.lockout.limits = QUICK
    return app, password


def attempt(client: TestClient, password: str, **headers: str) -> int:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login", data={"password": password, "csrf": token}, headers=headers, follow_redirects=False
    )
    return response.status_code


def test_a_forwarded_address_does_not_reset_the_count(console_app: tuple[Starlette, str]) -> None:
    """Thirty wrong passwords, each 'forwarded' for another address: counted as the one address they are."""
    app, _password = console_app
    client = TestClient(app)
    codes = [
        attempt(
            client, "nope", **{"X-Forwarded-For": f"10.0.{n}.1", "Forwarded": f"for=10.1.{n}.1", "X-Real-IP": "::1"}
        )
        for n in range(30)
    ]
    free = QUICK.free_per_address + 1
    assert codes[:free] == [401] * free and set(codes[free:]) == {429}
    assert attempt(client, "nope", **{"X-Forwarded-For": "127.0.0.1"}) == 429  # the 31st


def test_another_local_users_failures_do_not_stop_the_trainer(console_app: tuple[Starlette, str]) -> None:
    app, password = console_app
    other = TestClient(app, client=("127.0.0.1", 40001))
    assert {attempt(other, "guess") for _ in range(30)} == {401}  # slowed, each compared, none refused
    trainer = TestClient(app, client=("127.0.0.1", 40002))
    assert attempt(trainer, password) == 303


def test_the_address_the_trainer_logged_in_from_stays_theirs(console_app: tuple[Starlette, str]) -> None:
    app, password = console_app
    trainer = TestClient(app, client=("192.0.2.60", 40003))
    assert attempt(trainer, password) == 303
    intruder = TestClient(app, client=("192.0.2.60", 40004))
    assert {attempt(intruder, "guess") for _ in range(30)} == {401}
    for n in range(30):  # the classroom's other machines
        attempt(TestClient(app, client=(f"192.0.2.{100 + n}", 40005)), "guess")
    assert attempt(TestClient(app, client=("192.0.2.99", 40006)), password) == 303  # slowed, let in
    assert attempt(TestClient(app, client=("192.0.2.60", 40007)), password) == 303


def test_wrong_passwords_sent_at_once_reach_the_comparison_no_more_often(
    console_app: tuple[Starlette, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fifty wrong passwords from one address, each in a thread of its own, released together; the
    comparison is held open a moment so they all overlap. Only the allowed ones reach it, before the
    delay and after it has passed."""
    app, _password = console_app
    clock = Clock()
    app.state.console.lockout.clock = clock
    compared: list[str] = []
    real = auth.password_matches

    def comparing(given: str, password: str) -> bool:
        compared.append(given)
        time.sleep(0.2)
        return real(given, password)

    monkeypatch.setattr(auth, "password_matches", comparing)

    def volley() -> list[int]:
        clients = [TestClient(app, client=("192.0.2.77", 41000 + n)) for n in range(50)]
        tokens = [csrf_of(c.get("/login").text) for c in clients]
        start = threading.Barrier(len(clients))

        def send(n: int) -> int:
            start.wait()
            form = {"password": "nope", "csrf": tokens[n]}
            return clients[n].post("/login", data=form, follow_redirects=False).status_code

        with ThreadPoolExecutor(len(clients)) as pool:
            return list(pool.map(send, range(len(clients))))

    free = QUICK.free_per_address + 1
    codes = volley()
    assert len(compared) == free and sorted(codes) == [401] * free + [429] * (50 - free)
    clock.now += QUICK.address_cap + 1  # the longest delay has passed
    codes = volley()
    assert len(compared) == free + 1 and sorted(codes) == [401] + [429] * 49


def test_failures_from_a_hundred_addresses_do_not_shut_the_trainer_out(console_app: tuple[Starlette, str]) -> None:
    app, password = console_app
    codes = {attempt(TestClient(app, client=(f"198.51.100.{n}", 42000)), "guess") for n in range(100)}
    assert codes == {401}  # each compared (slowed), none refused
    assert len(app.state.console.lockout.overall.times) == 100
    laptop = TestClient(app, client=("203.0.113.5", 42001))  # the trainer, from a machine not seen this run
    assert attempt(laptop, password) == 303


@pytest.mark.parametrize("seat", ["０", "１", "٣", "+1", " 1", "1.0", ""])
def test_a_seat_not_in_ascii_digits_is_refused(console_app: tuple[Starlette, str], seat: str) -> None:
    app, password = console_app
    client = TestClient(app)
    assert attempt(client, password) == 303
    token = csrf_of(client.get("/").text)
    for path, data in [
        ("/client/x/reset", {"seat": seat}),
        ("/client/x/snapshot/restore", {"snapshot": "s1", "seat": seat}),
    ]:
        response = client.post(path, data={**data, "csrf": token}, follow_redirects=False)
        assert response.status_code == 400 and "Какое место?" in response.text and "ничего не сброшено" in response.text
    job = app.state.console.jobs.start("t", "/", lambda _say: "ok")
    assert client.get(f"/jobs/{job.id}/events?from=٣").status_code == 400
    assert "event: end" in client.get(f"/jobs/{job.id}/events?from=0").text


# -- the command: HTTPS beyond loopback ---------------------------------------------------------------------
def own_address() -> str | None:
    """This machine's non-loopback address, from the route a UDP socket would take (nothing is sent)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.connect(("192.0.2.1", 9))
            address = str(udp.getsockname()[0])
    except OSError:
        return None
    return None if is_loopback(address) or address == "0.0.0.0" else address


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> tuple[Path, str]:
    address = own_address()
    if address is None:
        pytest.skip("this machine has no address beyond loopback")
    (tmp_path / "compose" / "x").mkdir(parents=True)
    (tmp_path / "compose" / "x" / "client.toml").write_text("[postgres]\nport = 55994\n", encoding="utf-8")
    return tmp_path, address


def start(root: Path, address: str, port: int, *extra: str) -> tuple[subprocess.Popen[str], list[str]]:
    command = [sys.executable, "-m", "provision.cli", "--workspace", str(root), "console", "--host", address]
    server = subprocess.Popen(
        [*command, "--port", str(port), *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert server.stdout is not None
    lines = [server.stdout.readline() for _ in range(4)]
    return server, lines


def trusting(cert: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False  # the address is in the certificate; the fingerprint is what we check
    return context


def wait_up(url: str, verify: ssl.SSLContext) -> httpx2.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx2.get(url + "login", verify=verify, timeout=2)
        except httpx2.TransportError:
            assert time.monotonic() < deadline, "the console did not start"
            time.sleep(0.1)


def stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    server.wait(20)


@pytest.mark.slow
def test_beyond_loopback_it_serves_https_with_a_certificate_made_once(served: tuple[Path, str]) -> None:
    root, address = served
    port = free_port(address)
    url = f"https://{address}:{port}/"
    folder = tls.tls_folder(Workspace(root))
    server, first = start(root, address, port)
    try:
        assert first[0].strip() == f"the console: {url}", first
        assert "certificate (made now)" in first[2] and "SHA-256" in first[2], first
        key = folder / "console.key"
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        context = trusting(folder / "console.crt")
        page = wait_up(url, context)
        assert page.status_code == 200 and "Пароль" in page.text
        shown = first[2].rsplit(" ", 1)[1].strip()
        served_der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((address, port)))
        assert shown == tls.fingerprint(x509.load_der_x509_certificate(served_der))
        with httpx2.Client(verify=context) as browser:
            token = csrf_of(browser.get(url + "login").text)
            password = auth.console_password(Workspace(root))[0]
            done = browser.post(url + "login", data={"password": password, "csrf": token}, follow_redirects=False)
            assert done.status_code == 303
            assert "secure" in done.headers["set-cookie"].lower(), done.headers["set-cookie"]
        with pytest.raises(httpx2.TransportError):  # plain HTTP to it: no answer
            httpx2.get(f"http://{address}:{port}/login", timeout=5)
    finally:
        stop(server)
    made = (folder / "console.crt").read_bytes()
    server, second = start(root, address, port)
    try:
        assert "made now" not in second[2] and shown in second[2], second  # the same certificate, reused
        wait_up(url, trusting(folder / "console.crt"))
        with httpx2.Client(verify=trusting(folder / "console.crt")) as attacker:  # a fresh console: no trust yet
            codes = []
            for n in range(30):
                token = csrf_of(attacker.get(url + "login").text)
                forged = {"X-Forwarded-For": f"10.9.{n}.1"}
                response = attacker.post(url + "login", data={"password": "x", "csrf": token}, headers=forged)
                codes.append(response.status_code)
            assert codes[-1] == 429 and codes.count(401) == Limits().free_per_address + 1, codes
    finally:
        stop(server)
    assert (folder / "console.crt").read_bytes() == made


@pytest.mark.slow
def test_a_named_certificate_is_served(served: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> None:
    root, address = served
    elsewhere = tmp_path_factory.mktemp("site-cert")
    mine = tls.own_certificate(Workspace(elsewhere), address)  # the site's certificate, made by other means
    port = free_port(address)
    server, lines = start(root, address, port, "--cert", str(mine.cert), "--key", str(mine.key))
    try:
        assert mine.fingerprint in lines[2] and str(mine.cert) in lines[2], lines
        assert wait_up(f"https://{address}:{port}/", trusting(mine.cert)).status_code == 200
        served_der = ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate((address, port)))
        assert tls.fingerprint(x509.load_der_x509_certificate(served_der)) == mine.fingerprint
    finally:
        stop(server)
    assert not tls.tls_folder(Workspace(root)).exists()  # none of its own made


def test_a_wrong_certificate_or_key_is_refused_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "compose" / "x").mkdir(parents=True)
    one = tls.own_certificate(Workspace(tmp_path / "one"), "127.0.0.1")
    two = tls.own_certificate(Workspace(tmp_path / "two"), "127.0.0.1")
    (tmp_path / "junk.pem").write_text("not a certificate\n", encoding="ascii")
    base = ["--workspace", str(tmp_path), "console", "--port", str(free_port("127.0.0.1"))]
    cases = [
        (["--cert", str(one.cert)], "--cert and --key go together"),
        (["--cert", str(tmp_path / "none.pem"), "--key", str(one.key)], "no such file"),
        (["--cert", str(tmp_path / "junk.pem"), "--key", str(one.key)], "not a PEM certificate"),
        (["--cert", str(one.cert), "--key", str(two.key)], "not the key of"),
    ]
    for extra, message in cases:
        result = CliRunner().invoke(cli_app, base + extra)
        assert result.exit_code == 2 and message in result.output, (extra, result.output)
        assert "Traceback" not in result.output
    assert not auth.console_dir(Workspace(tmp_path)).exists()  # nothing made on the way


def test_a_kept_certificate_naming_no_address_is_made_anew_and_said(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    folder = tls.tls_folder(ws)
    folder.mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old")])
    now = dt.datetime.now(dt.UTC)
    bare = (  # no subjectAltName: what an older tool, or a hand, may have left there
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=400))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for host in ("127.0.0.1", "0.0.0.0"):
        (folder / "console.crt").write_bytes(bare.public_bytes(serialization.Encoding.PEM))
        (folder / "console.key").write_bytes(pem_key)
        made = tls.own_certificate(ws, host)
        assert made.made and "names no address (no subjectAltName)" in made.how and "console.crt" in made.how
        cert = x509.load_pem_x509_certificate(made.cert.read_bytes())
        assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert stat.S_IMODE(os.stat(made.key).st_mode) == 0o600 and stat.S_IMODE(os.stat(made.cert).st_mode) == 0o644
        assert not list(folder.glob("*.new*"))  # nothing left aside
        kept = tls.own_certificate(ws, host)
        assert not kept.made and kept.fingerprint == made.fingerprint and kept.how == str(made.cert)


def test_a_damaged_kept_certificate_is_made_anew_and_said(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    first = tls.own_certificate(ws, "127.0.0.1")
    assert first.made and first.how == "made now"
    first.cert.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", encoding="ascii")
    again = tls.own_certificate(ws, "127.0.0.1")
    assert again.made and "damaged or not PEM" in again.how and again.fingerprint != first.fingerprint
    again.key.unlink()
    third = tls.own_certificate(ws, "127.0.0.1")
    assert third.made and "console.key cannot be read" in third.how
