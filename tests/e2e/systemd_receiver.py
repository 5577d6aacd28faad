#!/usr/bin/env python3
"""Crash-database stand-in for the systemd guest stage (tests/e2e/systemd.sh), on the HOST.

usage: systemd_receiver.py DIR
Listens on 127.0.0.1 at a free port (written to DIR/port once listening). Every request is answered 200 and
recorded: its body in DIR/NNN.<METHOD>, its headers in DIR/NNN.headers, and one line in DIR/log:
"<host unix time> <METHOD> <path> <body bytes> <Idempotency-Key or -> NNN". The guest marks a moment with
GET /mark/<name> (bash /dev/tcp), so delivery latency is measured on one clock: the host's.
A report POSTed to /crash-wants (a multipart field "crash") is answered as a crash database that wants the
core (docs/crashdb-protocol.md, archive = "on_request"): {"archive": "wanted", "id": "e2e-NNN"}; the archive
that follows (fields "report_id" and "archive") is answered "ok" like everything else.
"""
import http.server
import os
import sys
import threading
import time

OUT = sys.argv[1]
LOCK = threading.Lock()
COUNT = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def record(self, body):
        received = time.time()
        with LOCK:
            n = COUNT[0]
            COUNT[0] += 1
            with open(os.path.join(OUT, "%03d.%s" % (n, self.command)), "wb") as f:
                f.write(body)
            with open(os.path.join(OUT, "%03d.headers" % n), "w") as f:
                f.write(str(self.headers))
            with open(os.path.join(OUT, "log"), "a") as f:
                f.write("%.3f %s %s %d %s %03d\n" % (received, self.command, self.path, len(body),
                                                     self.headers.get("Idempotency-Key", "-"), n))
        answer, kind = b"ok\n", "text/plain"
        if self.path == "/crash-wants" and b'name="crash"' in body:
            answer, kind = b'{"archive": "wanted", "id": "e2e-%03d"}' % n, "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(answer)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):
        self.record(b"")

    def do_POST(self):
        self.record(self.body())


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(OUT, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(OUT, "port.tmp"), os.path.join(OUT, "port"))
server.serve_forever()
