#!/usr/bin/python3
"""Raw frames on an interface.
  inject IFACE          send one of each malformed kind: a truncated VLAN tag, a multicast source MAC, an STP frame
  sniff IFACE SECONDS   print "icmp_echo_requests=N experimental=M" counted on IFACE (prints "ready" first) until
                        1.5 s after the last counted frame, or SECONDS at most; experimental counts frames of
                        the local experimental EtherType 0x88b5
  broadcast IFACE N     send N broadcast frames as fast as possible
  metrics URL           print "PORT rx_packets tx_packets" per port from a Prometheus endpoint, parsed by prometheus_client"""
import socket, struct, sys, time

def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))

if sys.argv[1] == "inject":
    iface = sys.argv[2]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    me = mac(open(f"/sys/class/net/{iface}/address").read().strip())
    s.send(b"\xff" * 6 + me + b"\x81\x00\x00\x0a")                           # 16 bytes: VLAN tag cut off
    s.send(b"\xff" * 6 + mac("01:00:5e:00:00:01") + b"\x88\xb5" + bytes(46))  # group address as source
    s.send(mac("01:80:c2:00:00:00") + me + b"\x00\x26" + bytes(46))           # STP BPDU destination
    print("injected=3")
elif sys.argv[1] == "broadcast":
    iface, count = sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    me = mac(open(f"/sys/class/net/{iface}/address").read().strip())
    frame = b"\xff" * 6 + me + b"\x88\xb5" + bytes(46)
    for _ in range(count):
        s.send(frame)
    print(f"sent={count}")
elif sys.argv[1] == "sniff":
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((sys.argv[2], 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    end, n, experimental, last = time.time() + float(sys.argv[3]), 0, 0, None
    while time.time() < end and (last is None or time.time() - last < 1.5):
        try:
            f = s.recv(65535)
        except socket.timeout:
            continue
        if len(f) >= 35 and f[12:14] == b"\x08\x00" and f[23] == 1 and f[34] == 8:
            n += 1
            last = time.time()
        if len(f) >= 14 and f[12:14] == b"\x88\xb5":
            experimental += 1
            last = time.time()
    print(f"icmp_echo_requests={n} experimental={experimental}", flush=True)
elif sys.argv[1] == "metrics":
    import urllib.request
    from prometheus_client.parser import text_string_to_metric_families
    text = urllib.request.urlopen(sys.argv[2]).read().decode()
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in ("swivel_port_rx_packets_total", "swivel_port_tx_packets_total"):
                values.setdefault(sample.labels["port"], {})[sample.name] = int(sample.value)
    for port, v in sorted(values.items()):
        print(port, v.get("swivel_port_rx_packets_total", -1), v.get("swivel_port_tx_packets_total", -1))
