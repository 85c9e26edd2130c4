#!/usr/bin/python3
"""Traffic for the security-group tests, run inside a namespace.

serve tcp:P,... udp:P,...      echo servers (prints "ready")
connect HOST PORT              TCP connect + one echo: "connected echo=ok" | "timeout" | "refused"
udp HOST PORT                  one datagram, waits for its echo: "udp=ok" | "udp=none"
udpflood HOST PORT N           N datagrams from N source ports (no answer awaited)
hold HOST PORT TRIGGER         connects, echoes once ("ready established"), waits for TRIGGER to exist,
                               then echoes again within 2 s: "after=ok" | "after=none"; closes with RST
inject SRC DST DSTMAC SPORT DPORT   unsolicited SYN-ACK and ACK (scapy)
"""
import os, socket, struct, sys, threading, time


def serve(specs):
    def tcp_server(port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        s.listen(64)
        while True:
            c, _ = s.accept()
            threading.Thread(target=echo, args=(c,), daemon=True).start()

    def echo(c):
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    def udp_server(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", port))
        while True:
            d, a = s.recvfrom(4096)
            s.sendto(d, a)

    for spec in specs:
        kind, port = spec.split(":")
        target = tcp_server if kind == "tcp" else udp_server
        threading.Thread(target=target, args=(int(port),), daemon=True).start()
    time.sleep(0.2)
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def connect(host, port):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((host, port))
    except socket.timeout:
        print("timeout"); return
    except ConnectionRefusedError:
        print("refused"); return
    s.sendall(b"hello")
    try:
        ok = s.recv(100) == b"hello"
    except socket.timeout:
        ok = False
    print("connected echo=" + ("ok" if ok else "none"))
    s.close()


def udp(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    s.sendto(b"ping", (host, port))
    try:
        s.recvfrom(100)
        print("udp=ok")
    except socket.timeout:
        print("udp=none")


def udpflood(host, port, n):
    socks = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", (host, port))
        socks.append(s)
        time.sleep(0.002)
    print("sent %d" % n)


def hold(host, port, trigger):
    s = socket.socket()
    s.settimeout(2)
    s.connect((host, port))
    s.sendall(b"before")
    assert s.recv(100) == b"before"
    print("ready established", flush=True)
    while not os.path.exists(trigger):
        time.sleep(0.05)
    s.sendall(b"after")
    try:
        d = s.recv(100)
        print("after=" + ("ok" if d == b"after" else "closed"))
    except (socket.timeout, OSError):
        print("after=none")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def inject(src, dst, dstmac, sport, dport):
    from scapy.all import Ether, IP, TCP, sendp, conf
    conf.verb = 0
    for flags in ("SA", "A"):
        sendp(Ether(dst=dstmac) / IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags, seq=1000, ack=2000),
              iface="eth0")
    print("injected 2")


cmd = sys.argv[1]
if cmd == "serve":
    serve(sys.argv[2:])
elif cmd == "connect":
    connect(sys.argv[2], int(sys.argv[3]))
elif cmd == "udp":
    udp(sys.argv[2], int(sys.argv[3]))
elif cmd == "udpflood":
    udpflood(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif cmd == "hold":
    hold(sys.argv[2], int(sys.argv[3]), sys.argv[4])
elif cmd == "inject":
    inject(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
