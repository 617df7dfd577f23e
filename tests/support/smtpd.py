#!/usr/bin/python3
"""An SMTP submission server on loopback for allears' tests (see ../shared/TESTING.md).

STARTTLS (or implicit TLS) with the test CA's leaf certificate, AUTH PLAIN/LOGIN
checked against Dovecot's passwd-file and required before MAIL, AUTH XOAUTH2
with a JWT from oauthd.py checked against the private Dovecot's key (with
--jwt-key), and a DATA handler
that hands each recipient's copy to Dovecot's LMTP port, answering 250 only after
LMTP accepted it. So a test sends with lettre and reads the result over IMAP.

Started by tests/support/smtp.rs. Prints "READY <port>" once it accepts
connections. Exits when its stdin reaches EOF (the test process is gone: a
watchdog), or on SIGTERM/SIGKILL from the harness.

Options:
  --port P --cert C --key K --passwd FILE --lmtp-port L
  --implicit        TLS from the first byte instead of STARTTLS
  --refuse-data     answer DATA with 451 (a server that refuses the message)
  --log FILE        one line per event (auth, accepted <id>, refused <id>)
  --jwt-key FILE    offer AUTH XOAUTH2, checking tokens with this (base64) HS256 key
"""

import argparse
import asyncio
import base64
import os
import email
import smtplib
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oauthd  # noqa: E402  (beside this file)

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def read_passwd(path):
    """user -> password, from a Dovecot passwd-file with {PLAIN} passwords."""
    users = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(":")
            if len(fields) >= 2 and fields[1].startswith("{PLAIN}"):
                users[fields[0]] = fields[1][len("{PLAIN}"):]
    return users


class Events:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, line):
        if not self.path:
            return
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class Authenticator:
    def __init__(self, users, events):
        self.users = users
        self.events = events

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        # Dovecot's auth_username_format = %Ln: the local part, lowercased.
        local = user.split("@")[0].lower()
        ok = self.users.get(local) == auth_data.password.decode("utf-8", "replace")
        self.events.write(f"auth {mechanism} {user} {'ok' if ok else 'failed'}")
        # handled=False: aiosmtpd then answers 535 itself (its default, True, answers nothing).
        return AuthResult(success=ok, handled=False)


class ToLmtp:
    def __init__(self, lmtp_port, refuse, events, jwt_key):
        self.lmtp_port = lmtp_port
        self.refuse = refuse
        self.events = events
        self.jwt_key = jwt_key

    async def auth_XOAUTH2(self, server, args):
        """XOAUTH2 with its initial response: user=USER^Aauth=Bearer TOKEN^A^A."""
        if self.jwt_key is None or len(args) != 2:
            return AuthResult(success=False, handled=False)
        try:
            fields = base64.b64decode(args[1], validate=True).decode().split("\x01")
        except Exception:
            return AuthResult(success=False, handled=False)
        kv = dict(f.split("=", 1) for f in fields if "=" in f)
        user = kv.get("user", "")
        token = kv.get("auth", "").removeprefix("Bearer ")
        sub = oauthd.verify(self.jwt_key, token)
        ok = sub is not None and sub == user.split("@")[0].lower()
        self.events.write(f"auth XOAUTH2 {user} {'ok' if ok else 'failed'}")
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server, session, envelope):
        mid = message_id(envelope)
        if self.refuse:
            self.events.write(f"refused {mid}")
            return "451 4.3.0 Test server refuses messages just now"
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.deliver, envelope)
        except Exception as e:  # any LMTP failure is a temporary failure for the client
            self.events.write(f"lmtp-failed {e}")
            return f"451 4.3.0 LMTP delivery failed: {e}"
        self.events.write(f"accepted {mid} " + " ".join(envelope.rcpt_tos))
        return "250 2.0.0 Delivered over LMTP"

    def deliver(self, envelope):
        # One recipient per LMTP transaction, so a per-recipient refusal cannot hide.
        for rcpt in envelope.rcpt_tos:
            with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
                lmtp.sendmail(envelope.mail_from, [rcpt], envelope.original_content)


def message_id(envelope):
    raw = envelope.original_content or envelope.content or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "replace")
    return email.message_from_bytes(raw).get("Message-ID", "").strip()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--passwd", required=True)
    p.add_argument("--lmtp-port", type=int, required=True)
    p.add_argument("--implicit", action="store_true")
    p.add_argument("--refuse-data", action="store_true")
    p.add_argument("--log", default="")
    p.add_argument("--jwt-key", default=None)
    a = p.parse_args()
    jwt_key = oauthd.read_key(a.jwt_key) if a.jwt_key else None

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(a.cert, a.key)
    events = Events(a.log)
    params = dict(
        authenticator=Authenticator(read_passwd(a.passwd), events),
        auth_required=True,
        auth_require_tls=True,
        server_hostname="localhost",
    )
    if a.implicit:
        # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; here every
        # byte is already encrypted, so the requirement holds without it.
        params["auth_require_tls"] = False
        controller = Controller(
            ToLmtp(a.lmtp_port, a.refuse_data, events, jwt_key),
            hostname="127.0.0.1",
            port=a.port,
            ssl_context=tls,
            **params,
        )
    else:
        controller = Controller(
            ToLmtp(a.lmtp_port, a.refuse_data, events, jwt_key),
            hostname="127.0.0.1",
            port=a.port,
            tls_context=tls,
            require_starttls=True,
            **params,
        )
    controller.start()
    print(f"READY {a.port}", flush=True)
    # Watchdog: the harness holds our stdin; EOF means it is gone.
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
