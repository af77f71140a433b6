"""WebSocket over HTTP/2 (RFC 8441) through wsgate, with Python's h2 (Debian python3-h2), by prior knowledge (h2c).

Usage: h2_websocket_client.py HOST PORT PATH [dead N]

On one connection: waits for the server's SETTINGS_ENABLE_CONNECT_PROTOCOL, opens two WebSocket streams on PATH and
asks a third stream for /nowhere; then, each step after a NEXT line on stdin (so that the test can look at wsgate in
between): echoes on both streams, closes the first (close handshake), echoes on the second, closes it, and ends the
connection with GOAWAY. Prints one line a step; exits 1, with a line saying why, on anything unexpected.

With "dead N": prints its local port (LOCAL port), opens N WebSocket streams on PATH, echoes once on each, then,
after a NEXT line, goes silent: it neither reads nor sends (the test drops the connection's packets), and exits after
an END line without closing anything.
"""
import os
import socket
import struct
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings

HOST, PORT, PATH = sys.argv[1], int(sys.argv[2]), sys.argv[3]
DEAD = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "dead" else 0
TIMEOUT = 10

sock = socket.create_connection((HOST, PORT), timeout=TIMEOUT)
if DEAD:
    print("LOCAL %d" % sock.getsockname()[1], flush=True)
conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
conn.initiate_connection()
sock.sendall(conn.data_to_send())

status = {}      # stream id -> :status
headers = {}     # stream id -> response headers
received = {}    # stream id -> bytes not yet parsed
ended = set()    # streams the server ended (END_STREAM)
reset = {}       # stream id -> RST_STREAM error code
connect_protocol = False


def fail(why):
    print("FAIL " + why, flush=True)
    sys.exit(1)


def pump(until, what):
    """Reads and handles events until until() holds; fails after TIMEOUT seconds of silence."""
    global connect_protocol
    while not until():
        try:
            data = sock.recv(65536)
        except socket.timeout:
            fail("timed out waiting for " + what)
        if not data:
            fail("connection closed waiting for " + what)
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.RemoteSettingsChanged):
                setting = event.changed_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL)
                if setting is not None and setting.new_value == 1:
                    connect_protocol = True
            elif isinstance(event, h2.events.ResponseReceived):
                h = dict(event.headers)
                status[event.stream_id] = int(h[":status"])
                headers[event.stream_id] = h
            elif isinstance(event, h2.events.DataReceived):
                received[event.stream_id] = received.get(event.stream_id, b"") + event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                ended.add(event.stream_id)
            elif isinstance(event, h2.events.StreamReset):
                reset[event.stream_id] = int(event.error_code)
            elif isinstance(event, h2.events.ConnectionTerminated):
                fail("GOAWAY from the server: %s" % event)
        out = conn.data_to_send()
        if out:
            sock.sendall(out)


def frame(opcode, payload):
    """A client frame: FIN, masked."""
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def parse(stream_id):
    """The first whole server frame of the stream (opcode, payload), taken off its bytes; None when not whole."""
    buf = received.get(stream_id, b"")
    if len(buf) < 2:
        return None
    if buf[1] & 0x80:
        fail("stream %d: the server masked its frame" % stream_id)
    n, at = buf[1] & 0x7F, 2
    if n == 126:
        if len(buf) < 4:
            return None
        n, at = struct.unpack("!H", buf[2:4])[0], 4
    elif n == 127:
        if len(buf) < 10:
            return None
        n, at = struct.unpack("!Q", buf[2:10])[0], 10
    if len(buf) < at + n:
        return None
    received[stream_id] = buf[at + n:]
    return buf[0] & 0x0F, buf[at:at + n]


def send(stream_id, data):
    conn.send_data(stream_id, data)
    sock.sendall(conn.data_to_send())


def read_frame(stream_id, what):
    got = []
    pump(lambda: got.append(parse(stream_id)) or got[-1] is not None, what)
    return got[-1]


def echo(stream_id, text):
    send(stream_id, frame(0x1, text.encode()))
    opcode, payload = read_frame(stream_id, "the echo of %r on stream %d" % (text, stream_id))
    if opcode != 0x1 or payload.decode() != text:
        fail("stream %d: expected the echo of %r, got opcode %d %r" % (stream_id, text, opcode, payload))
    print("ECHO %d %s" % (stream_id, text), flush=True)


def close(stream_id):
    send(stream_id, frame(0x8, struct.pack("!H", 1000) + b"bye"))
    opcode, payload = read_frame(stream_id, "the close answer on stream %d" % stream_id)
    if opcode != 0x8:
        fail("stream %d: expected a close frame, got opcode %d" % (stream_id, opcode))
    code = struct.unpack("!H", payload[:2])[0]
    pump(lambda: stream_id in ended or stream_id in reset, "the end of stream %d" % stream_id)
    print("CLOSED %d code=%d ended=%s reset=%s" % (stream_id, code, stream_id in ended, reset.get(stream_id)),
          flush=True)


def next_step():
    line = sys.stdin.readline()
    if line.strip() != "NEXT":
        fail("expected NEXT on stdin, got %r" % line)


def connect(path):
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, [
        (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", path),
        (":authority", "%s:%d" % (HOST, PORT)), ("sec-websocket-version", "13"),
        ("origin", "http://%s:%d" % (HOST, PORT)),
    ])
    sock.sendall(conn.data_to_send())
    return stream_id


pump(lambda: connect_protocol, "SETTINGS_ENABLE_CONNECT_PROTOCOL")
print("SETTINGS enable_connect_protocol=1", flush=True)

if DEAD:
    ids = [connect(PATH) for _ in range(DEAD)]
    pump(lambda: all(i in status for i in ids), "the answers to %d CONNECTs" % DEAD)
    if any(status[i] != 200 for i in ids):
        fail("expected 200 on every stream, got %s" % status)
    print("OPEN " + " ".join(str(i) for i in ids), flush=True)
    for i in ids:  # all sent first: the test answers the upstream connections in the order they came
        send(i, frame(0x1, ("hello from %d" % i).encode()))
    for i in ids:
        opcode, payload = read_frame(i, "the echo on stream %d" % i)
        if opcode != 0x1 or payload.decode() != "hello from %d" % i:
            fail("stream %d: expected its echo, got opcode %d %r" % (i, opcode, payload))
    print("ECHOED", flush=True)
    next_step()
    # Silent from here: nothing read, nothing sent, nothing closed.
    line = sys.stdin.readline()
    if line.strip() != "END":
        fail("expected END on stdin, got %r" % line)
    print("DONE", flush=True)
    os._exit(0)

a = connect(PATH)
b = connect(PATH)
refused = connect("/nowhere")
pump(lambda: a in status and b in status and refused in status, "the answers to three CONNECTs")
if status[a] != 200 or status[b] != 200:
    fail("expected 200 on streams %d and %d, got %s" % (a, b, status))
pump(lambda: refused in ended, "the end of the refused stream")
print("OPEN %d %d" % (a, b), flush=True)
print("REFUSED %d %d %s" % (refused, status[refused], received.get(refused, b"").decode().strip()), flush=True)

next_step()
echo(a, "hello from a")
echo(b, "hello from b")
echo(a, "again from a")
close(a)

next_step()
echo(b, "b goes on")
close(b)

conn.close_connection()
sock.sendall(conn.data_to_send())
sock.close()
print("DONE", flush=True)
