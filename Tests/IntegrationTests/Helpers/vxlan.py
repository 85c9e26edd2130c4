#!/usr/bin/python3
"""Traffic for the overlay tests, run inside a namespace.

send --src IP --dst IP --vni N [--flags F] [--short] [--count N]
        VXLAN datagrams from IP (bound, so the source is exact) to DST:4789 carrying a broadcast frame;
        --short sends a header and 5 bytes (malformed), --flags replaces the I flag byte.
stream --host H --port P --bytes N
        sends N patterned bytes to an echo server (sg.py serve tcp:P) and reads them back:
        "echoed=N intact" | "echoed=K corrupt|short"
"""
import argparse, socket, struct, threading


def send(a):
    inner = b"\xff" * 6 + bytes.fromhex("020000abcdef") + b"\x08\x06" + bytes(46)
    header = struct.pack("!BBHI", a.flags, 0, 0, a.vni << 8)
    payload = header + (inner[:5] if a.short else inner)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    for _ in range(a.count):
        s.sendto(payload, (a.dst, 4789))
    print("sent", a.count)


def stream(a):
    data = bytes((i * 7 + i // 251) & 0xFF for i in range(a.bytes))
    c = socket.create_connection((a.host, a.port), timeout=20)
    writer = threading.Thread(target=c.sendall, args=(data,), daemon=True)
    writer.start()
    got = bytearray()
    while len(got) < a.bytes:
        d = c.recv(65536)
        if not d:
            break
        got += d
    writer.join(20)
    ok = bytes(got) == data
    print("echoed=%d %s" % (len(got), "intact" if ok else ("short" if len(got) < a.bytes else "corrupt")))
    raise SystemExit(0 if ok else 1)


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
x = sub.add_parser("send")
x.add_argument("--src", required=True)
x.add_argument("--dst", required=True)
x.add_argument("--vni", type=int, required=True)
x.add_argument("--flags", type=lambda v: int(v, 0), default=0x08)
x.add_argument("--short", action="store_true")
x.add_argument("--count", type=int, default=1)
x = sub.add_parser("stream")
x.add_argument("--host", required=True)
x.add_argument("--port", type=int, required=True)
x.add_argument("--bytes", type=int, required=True)
a = p.parse_args()
{"send": send, "stream": stream}[a.cmd](a)
