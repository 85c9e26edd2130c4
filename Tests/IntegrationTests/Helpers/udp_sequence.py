#!/usr/bin/python3
"""Paced UDP sequence test. `recv PORT COUNT TIMEOUT` prints "received=N in_order=0|1 first_gap=K";
`send DST PORT COUNT RATE` sends COUNT 64-byte frames (8-byte sequence number + padding) at RATE per second."""
import socket, struct, sys, time

def recv(port, count, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.bind(("0.0.0.0", port))
    s.settimeout(timeout)
    print("ready", flush=True)
    got, expected, in_order, first_gap = 0, 0, True, -1
    try:
        while got < count:
            data = s.recv(2048)
            (seq,) = struct.unpack("!Q", data[:8])
            if seq != expected and in_order:
                in_order, first_gap = False, expected
            expected = seq + 1
            got += 1
    except socket.timeout:
        pass
    print(f"received={got} in_order={int(in_order)} first_gap={first_gap}", flush=True)

def send(dst, port, count, rate):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pad = bytes(60 - 42 - 8)  # minimum-size frames: 14 Ethernet + 20 IPv4 + 8 UDP + 8 sequence + 10 pad = 60 (64 with FCS)
    interval = 1.0 / rate
    start = time.perf_counter()
    for i in range(count):
        target = start + i * interval
        while time.perf_counter() < target:
            pass
        s.sendto(struct.pack("!Q", i) + pad, (dst, port))
    print(f"sent={count} seconds={time.perf_counter() - start:.3f}", flush=True)

if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
