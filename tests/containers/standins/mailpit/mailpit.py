#!/usr/bin/env python3
"""The mail catcher of the Mailpit stand-in (see the Dockerfile beside it): standard library only.

`mailpit` serves SMTP on MP_SMTP_BIND_ADDR (0.0.0.0:1025) and the HTTP API on MP_UI_BIND_ADDR
(0.0.0.0:8025); `mailpit readyz` exits 0 when that API answers /readyz, as Mailpit's own command.
Messages are kept in memory, newest first, in the JSON shapes Mailpit's API documents.
"""

import email
import email.policy
import json
import os
import signal
import socketserver
import sys
import threading
import urllib.request
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MESSAGES: list[dict[str, Any]] = []
LOCK = threading.Lock()


def bind_address(variable: str, default: str) -> tuple[str, int]:
    host, _, port = os.environ.get(variable, default).rpartition(":")
    return host or "0.0.0.0", int(port)


def addresses(message: EmailMessage, header: str) -> list[dict[str, str]]:
    return [{"Name": name, "Address": address} for name, address in getaddresses(message.get_all(header, []))]


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""


def store(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    sender = addresses(message, "From")
    text = body(message, "plain")
    stored = {
        "ID": uuid.uuid4().hex,
        "MessageID": str(message.get("Message-ID", "")).strip("<>"),
        "From": sender[0] if sender else {"Name": "", "Address": ""},
        "To": addresses(message, "To"),
        "Cc": addresses(message, "Cc"),
        "Bcc": [],
        "ReplyTo": addresses(message, "Reply-To"),
        "Subject": str(message.get("Subject", "")),
        "Created": datetime.now(UTC).isoformat(),
        "Date": str(message.get("Date", "")),
        "Tags": [],
        "Size": len(raw),
        "Read": False,
        "Snippet": " ".join(text.split())[:250],
        "Text": text,
        "HTML": body(message, "html"),
        "Attachments": [],
        "Inline": [],
    }
    with LOCK:
        MESSAGES.insert(0, stored)


SUMMARY_FIELDS = (
    "ID",
    "MessageID",
    "From",
    "To",
    "Cc",
    "Bcc",
    "ReplyTo",
    "Subject",
    "Created",
    "Tags",
    "Size",
    "Read",
    "Snippet",
)


class SMTPHandler(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 for a client sending without TLS or authentication."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 mailpit ESMTP stand-in")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-mailpit\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 0\r\n")
            elif verb in ("HELO", "NOOP"):
                self.reply("250 OK")
            elif verb in ("MAIL", "RSET"):
                recipients = []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(line.decode(errors="replace"))
                self.reply("250 OK")
            elif verb == "DATA" and recipients:
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                store(self.read_data())
                recipients = []
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


class APIHandler(BaseHTTPRequestHandler):
    def send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with LOCK:
            messages = list(MESSAGES)
        if path in ("/readyz", "/livez"):
            self.send_json(200, "ok")
        elif path == "/api/v1/messages":
            summaries = [{key: message[key] for key in SUMMARY_FIELDS} for message in messages]
            total = len(messages)
            self.send_json(200, {"total": total, "unread": total, "count": total, "start": 0, "messages": summaries})
        elif path.startswith("/api/v1/message/"):
            wanted = path.removeprefix("/api/v1/message/")
            found = messages[:1] if wanted == "latest" else [m for m in messages if m["ID"] == wanted]
            if found:
                self.send_json(200, found[0])
            else:
                self.send_json(404, "message not found")
        else:
            self.send_json(404, "not found")

    def do_DELETE(self) -> None:
        if self.path.split("?", 1)[0] == "/api/v1/messages":
            with LOCK:
                MESSAGES.clear()
            self.send_json(200, "ok")
        else:
            self.send_json(404, "not found")


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def readyz() -> int:
    _, port = bind_address("MP_UI_BIND_ADDR", "0.0.0.0:8025")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"readyz: {exc}", file=sys.stderr)
        return 1


def serve() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # PID 1 has no default handler
    smtp = SMTPServer(bind_address("MP_SMTP_BIND_ADDR", "0.0.0.0:1025"), SMTPHandler)
    api = ThreadingHTTPServer(bind_address("MP_UI_BIND_ADDR", "0.0.0.0:8025"), APIHandler)
    api.daemon_threads = True
    threading.Thread(target=smtp.serve_forever, daemon=True).start()
    (smtp_host, smtp_port), (api_host, api_port) = smtp.server_address[:2], api.server_address[:2]
    print(f"mailpit stand-in: SMTP on {smtp_host}:{smtp_port}, HTTP on {api_host}:{api_port}", flush=True)
    api.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(readyz() if sys.argv[1:] == ["readyz"] else serve())
