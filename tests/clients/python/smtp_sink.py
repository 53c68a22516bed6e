"""A real SMTP server for the alert email tests: aiosmtpd on a loopback port.

Each message received is written to DIR as <n>.json (envelope, subject and
the decoded text and HTML parts, read with Python's own email parser) and
<n>.eml (the raw bytes). Prints "ready" once listening; stops when its stdin
closes, so it cannot outlive the test that started it.

    python smtp_sink.py --port 2525 --dir /tmp/mail [--auth user:password]
"""

import argparse
import email
import email.policy
import json
import os
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "from": str(message["from"]),
            "to": str(message["to"]),
            "content_type": message.get_content_type(),
            "text": plain.get_content() if plain is not None else None,
            "html": html.get_content() if html is not None else None,
            "authenticated_as": session.auth_data if session.authenticated else None,
        }
        with self.lock:
            self.count += 1
            name = os.path.join(self.directory, str(self.count))
        with open(name + ".eml", "wb") as raw:
            raw.write(envelope.content)
        # Written under a temporary name and renamed: a reader never sees half a file.
        with open(name + ".json.tmp", "w") as out:
            json.dump(record, out)
        os.replace(name + ".json.tmp", name + ".json")
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--auth", help="user:password the server requires")
    args = parser.parse_args()

    kwargs = {}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login.decode() == user and auth_data.password.decode() == password
            # aiosmtpd keeps auth_data on the session: who sent the message.
            return AuthResult(success=ok, auth_data=auth_data.login.decode() if ok else None)

        # Loopback test server without TLS: allow AUTH in the clear.
        kwargs = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}

    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port, **kwargs)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
