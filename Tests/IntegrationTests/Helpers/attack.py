#!/usr/bin/python3
"""What a hostile workload sends, and what its neighbours see of it.
  forge IFACE OWN_IP VICTIM_IP PEER_IP N  sends N of each forgery: a frame from a forged source MAC, a
                                          gratuitous ARP claiming VICTIM_IP, an ICMP echo to PEER_IP from
                                          VICTIM_IP, an IPv6 router advertisement; then a legitimate broadcast
                                          "done" marker (EtherType 0x88b5)
  watch IFACE SECONDS VICTIM_IP           prints "ready"; counts frames until 1 s after the "done" marker;
                                          prints "forged_mac=N arp_claims=N forged_ip=N router_ads=N fragments=N"
  craft IFACE VICTIM_IP N                  sends N of each crafted frame: a gratuitous ARP claiming VICTIM_IP behind
                                          three priority tags, the same behind a priority tag hiding VLAN 20, an IPv6
                                          router advertisement behind nine hop-by-hop headers, and an IPv6 first
                                          fragment holding only a hop-by-hop header (the RA in the next fragment);
                                          then the "done" marker
  macflood IFACE DST_MAC N                sends N frames to DST_MAC from random source MACs (paced so the
                                          sender's own queue never overflows); prints "sent=N" """
import os, socket, struct, sys, time
from scapy.layers.l2 import Ether, ARP
from scapy.layers.inet import IP, ICMP
from scapy.layers.l2 import Dot1Q
from scapy.layers.inet6 import IPv6, ICMPv6ND_RA, IPv6ExtHdrHopByHop, IPv6ExtHdrFragment

FORGED = "02:66:66:66:66:66"
MARKER = 0x88B5

def open_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((iface, 0))
    return s

def mymac(iface):
    return open(f"/sys/class/net/{iface}/address").read().strip()

cmd = sys.argv[1]
if cmd == "forge":
    iface, own, victim, peer, n = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
    s = open_socket(iface)
    me = mymac(iface)
    forged_mac = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=FORGED, type=MARKER) / (b"forged".ljust(46, b"\0")))
    claim = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=me) / ARP(op=2, hwsrc=me, psrc=victim, hwdst="ff:ff:ff:ff:ff:ff", pdst=victim))
    forged_ip = bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=me) / IP(src=victim, dst=peer) / ICMP(id=0x6666))
    router_ad = bytes(Ether(dst="33:33:00:00:00:01", src=me) / IPv6(src="fe80::1", dst="ff02::1") / ICMPv6ND_RA())
    for _ in range(n):
        for f in (forged_mac, claim, forged_ip, router_ad):
            s.send(f)
    time.sleep(0.3)
    s.send(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=me, type=MARKER) / (b"done".ljust(46, b"\0"))))
    print(f"sent={4 * n}")
elif cmd == "craft":
    iface, victim, n = sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = open_socket(iface)
    me = mymac(iface)
    b = bytes.fromhex(me.replace(":", ""))
    ll = "fe80::%02x%02x:%02xff:fe%02x:%02x%02x" % (b[0] ^ 2, b[1], b[2], b[3], b[4], b[5])
    claim = ARP(op=2, hwsrc=me, psrc=victim, hwdst="ff:ff:ff:ff:ff:ff", pdst=victim)
    three_tags = Ether(dst="ff:ff:ff:ff:ff:ff", src=me) / Dot1Q(vlan=0) / Dot1Q(vlan=0) / Dot1Q(vlan=0) / claim
    hidden_tag = Ether(dst="ff:ff:ff:ff:ff:ff", src=me) / Dot1Q(vlan=0) / Dot1Q(vlan=20) / claim
    chain = IPv6ExtHdrHopByHop()
    for _ in range(8):
        chain = chain / IPv6ExtHdrHopByHop()
    long_chain = Ether(dst="33:33:00:00:00:01", src=me) / IPv6(src=ll, dst="ff02::1") / chain / ICMPv6ND_RA()
    first = Ether(dst="33:33:00:00:00:01", src=me) / IPv6(src=ll, dst="ff02::1") / IPv6ExtHdrFragment(id=7, offset=0, m=1) / IPv6ExtHdrHopByHop(nh=58)
    frames = [bytes(f) for f in (three_tags, hidden_tag, long_chain, first)]
    for _ in range(n):
        for f in frames:
            s.send(f)
    time.sleep(0.3)
    s.send(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=me, type=MARKER) / (b"done".ljust(46, b"\0"))))
    print(f"sent={4 * n}")
elif cmd == "watch":
    iface, seconds, victim = sys.argv[2], float(sys.argv[3]), sys.argv[4]
    s = open_socket(iface)
    s.settimeout(0.2)
    print("ready", flush=True)
    forged_mac = arp_claims = forged_ip = router_ads = fragments = 0
    end = time.time() + seconds
    while time.time() < end:
        try:
            f = s.recv(65535)
        except socket.timeout:
            continue
        p = Ether(f)
        if p.src == FORGED:
            forged_mac += 1
        elif ARP in p and p[ARP].psrc == victim:
            arp_claims += 1
        elif IP in p and ICMP in p and p[IP].src == victim and p[ICMP].id == 0x6666:
            forged_ip += 1
        elif ICMPv6ND_RA in p:
            router_ads += 1
        elif IPv6ExtHdrFragment in p:
            fragments += 1
        elif p.type == MARKER and bytes(p.payload)[:4] == b"done":
            end = min(end, time.time() + 1)
    print(f"forged_mac={forged_mac} arp_claims={arp_claims} forged_ip={forged_ip} router_ads={router_ads} fragments={fragments}", flush=True)
elif cmd == "macflood":
    iface, dst, n = sys.argv[2], bytes.fromhex(sys.argv[3].replace(":", "")), int(sys.argv[4])
    s = open_socket(iface)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    body = struct.pack("!H", MARKER) + bytes(46)
    for i in range(n):
        src = bytearray(os.urandom(6))
        src[0] = (src[0] & 0xFE) | 0x02   # unicast, locally administered
        while True:
            try:
                s.send(dst + bytes(src) + body)
                break
            except BlockingIOError:
                time.sleep(0.001)
        if i % 2000 == 1999:
            time.sleep(0.005)   # let the switch drain: the test is about its table, not the kernel's queues
    print(f"sent={n}")
