#!/usr/bin/python3
"""TCP integrity test. `recv PORT` accepts one connection and prints "bytes=N sha256=H";
`send DST PORT BYTES` sends BYTES of seeded pseudo-random data and prints the same line for what it sent."""
import hashlib, random, socket, sys

if sys.argv[1] == "recv":
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", int(sys.argv[2])))
    srv.listen(1)
    srv.settimeout(30)
    print("ready", flush=True)
    conn, _ = srv.accept()
    conn.settimeout(30)
    h, n = hashlib.sha256(), 0
    while True:
        chunk = conn.recv(1 << 16)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    print(f"bytes={n} sha256={h.hexdigest()}", flush=True)
else:
    data = random.Random(42).randbytes(int(sys.argv[4]))
    s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=30)
    s.sendall(data)
    s.close()
    print(f"bytes={len(data)} sha256={hashlib.sha256(data).hexdigest()}", flush=True)
