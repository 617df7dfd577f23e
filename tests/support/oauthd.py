#!/usr/bin/python3
"""A small OAuth2 provider on loopback for allears' tests (see ../shared/TESTING.md).

It issues access tokens that are HS256 JWTs signed with the private Dovecot's
key, so Dovecot's oauth2 passdb (introspection_mode = local) and smtpd.py
accept them without asking anyone. Started by tests/support/oauth2.rs.

    oauthd.py serve --key FILE --user alice --log FILE [--access-ttl S]
                    [--client-id ID] [--client-secret S] [--rotate]
        Prints "READY <port>", then serves until its stdin reaches EOF (the
        test process is gone: a watchdog). Endpoints:
          GET  /authorize      authorization code with PKCE (S256): approves at
                               once as --user and redirects to the loopback
                               redirect_uri with code and state
          POST /token          grant_type authorization_code (checks the PKCE
                               verifier and redirect_uri), refresh_token,
                               urn:ietf:params:oauth:grant-type:device_code
          POST /device         RFC 8628 device authorization; the first poll
                               is answered authorization_pending, the next
                               one with tokens
          POST /admin/revoke   every refresh token issued so far stops working
    oauthd.py mint --key FILE --sub alice --ttl S
        Prints one access token (a negative --ttl makes an expired one).

--key is Dovecot's key file: the key, base64-encoded. The log gets one line
per event ("token refresh_token ok"), never a token.
"""

import argparse
import base64
import hashlib
import hmac
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def read_key(path):
    with open(path, encoding="ascii") as f:
        return base64.b64decode(f.read().strip())


def mint(key, sub, ttl):
    now = int(time.time())
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"sub": sub, "iat": now, "exp": now + ttl}).encode())
    signing_input = f"{header}.{claims}".encode()
    sig = b64url(hmac.new(key, signing_input, hashlib.sha256).digest())
    return f"{header}.{claims}.{sig}"


def verify(key, token):
    """The token's subject when it is a valid, unexpired HS256 JWT of ours, else None."""
    try:
        header, claims, sig = token.split(".")
        want = b64url(hmac.new(key, f"{header}.{claims}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(want, sig):
            return None
        body = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
        if body.get("exp", 0) <= time.time():
            return None
        return body.get("sub")
    except (ValueError, KeyError, json.JSONDecodeError):
        return None


class Events:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, line):
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class State:
    def __init__(self, a):
        self.key = read_key(a.key)
        self.user = a.user
        self.ttl = a.access_ttl
        self.client_id = a.client_id
        self.client_secret = a.client_secret
        self.rotate = a.rotate
        self.events = Events(a.log)
        self.lock = threading.Lock()
        self.codes = {}  # code -> (challenge, redirect_uri)
        self.refresh = set()
        self.devices = {}  # device_code -> polls so far

    def grant(self):
        refresh = secrets.token_urlsafe(24)
        self.refresh.add(refresh)
        return {
            "access_token": mint(self.key, self.user, self.ttl),
            "token_type": "Bearer",
            "expires_in": self.ttl,
            "refresh_token": refresh,
            "scope": "mail",
        }


class Handler(BaseHTTPRequestHandler):
    state = None

    def log_message(self, *args):  # no access log: URLs carry codes
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, event):
        self.state.events.write(event)
        self.reply(status, {"error": code, "error_description": f"test provider: {event}"})

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/authorize":
            return self.reply(404, {})
        q = dict(urllib.parse.parse_qsl(url.query))
        s = self.state
        redirect = q.get("redirect_uri", "")
        if not redirect.startswith("http://127.0.0.1:"):
            return self.error(400, "invalid_request", "authorize bad redirect_uri")
        if (q.get("response_type") != "code" or q.get("client_id") != s.client_id
                or q.get("code_challenge_method") != "S256" or not q.get("code_challenge")):
            return self.error(400, "invalid_request", "authorize bad request")
        code = secrets.token_urlsafe(16)
        with s.lock:
            s.codes[code] = (q["code_challenge"], redirect)
        s.events.write(f"authorize ok scope={q.get('scope', '')}")
        target = redirect + "?" + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        path = urllib.parse.urlsplit(self.path).path
        s = self.state
        if path == "/admin/revoke":
            with s.lock:
                s.refresh.clear()
            s.events.write("revoked")
            return self.reply(200, {})
        if form.get("client_id") != s.client_id:
            return self.error(401, "invalid_client", f"{path} unknown client")
        if s.client_secret is not None and form.get("client_secret") != s.client_secret:
            return self.error(401, "invalid_client", f"{path} wrong client secret")
        if path == "/device":
            code = secrets.token_urlsafe(16)
            with s.lock:
                s.devices[code] = 0
            s.events.write("device code issued")
            host, port = self.server.server_address[:2]
            return self.reply(200, {
                "device_code": code,
                "user_code": "WDJB-MJHT",
                "verification_uri": f"http://{host}:{port}/device",
                "expires_in": 600,
                "interval": 1,
            })
        if path != "/token":
            return self.reply(404, {})
        kind = form.get("grant_type", "")
        with s.lock:
            if kind == "authorization_code":
                found = s.codes.pop(form.get("code", ""), None)
                if found is None:
                    return self.error(400, "invalid_grant", "token authorization_code unknown code")
                challenge, redirect = found
                verifier = form.get("code_verifier", "")
                if b64url(hashlib.sha256(verifier.encode()).digest()) != challenge:
                    return self.error(400, "invalid_grant", "token authorization_code PKCE mismatch")
                if form.get("redirect_uri") != redirect:
                    return self.error(400, "invalid_grant", "token authorization_code redirect_uri mismatch")
                s.events.write("token authorization_code ok")
                return self.reply(200, s.grant())
            if kind == "refresh_token":
                old = form.get("refresh_token", "")
                if old not in s.refresh:
                    return self.error(400, "invalid_grant", "token refresh_token invalid_grant")
                body = s.grant()
                if s.rotate:
                    s.refresh.discard(old)
                else:
                    s.refresh.discard(body["refresh_token"])
                    del body["refresh_token"]
                s.events.write("token refresh_token ok")
                return self.reply(200, body)
            if kind == "urn:ietf:params:oauth:grant-type:device_code":
                code = form.get("device_code", "")
                if code not in s.devices:
                    return self.error(400, "invalid_grant", "token device_code unknown")
                s.devices[code] += 1
                if s.devices[code] == 1:
                    return self.error(400, "authorization_pending", "token device_code pending")
                del s.devices[code]
                s.events.write("token device_code ok")
                return self.reply(200, s.grant())
        return self.error(400, "unsupported_grant_type", f"token {kind} unsupported")


def serve(a):
    Handler.state = State(a)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    sys.stdin.read()  # the watchdog: EOF when the test process is gone
    server.shutdown()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--key", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--access-ttl", type=int, default=3600)
    s.add_argument("--client-id", default="allears-test")
    s.add_argument("--client-secret", default=None)
    s.add_argument("--rotate", action="store_true")
    m = sub.add_parser("mint")
    m.add_argument("--key", required=True)
    m.add_argument("--sub", required=True)
    m.add_argument("--ttl", type=int, default=3600)
    a = p.parse_args()
    if a.command == "mint":
        print(mint(read_key(a.key), a.sub, a.ttl))
    else:
        serve(a)


if __name__ == "__main__":
    main()
