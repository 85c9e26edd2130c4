#!/usr/bin/python3
"""A trunk end and isolation checks on raw sockets. Tags may arrive inline or out of band (PACKET_AUXDATA,
when the kernel stripped them): both forms are read and reported.
  probe IFACE VID IP      ARP for IP tagged VID (0: untagged), then ICMP echo to the answer; prints JSON:
                          {"arp_mac", "arp_vlan", "arp_form", "echo_reply", "echo_vlan"}
  markers IFACE           sends marker frames (EtherType 0x88b5, payload = label) as broadcast and as unknown
                          unicast: "blue" tagged 10, "red" tagged 20, "nowhere" tagged 30, "native" untagged;
                          then a broadcast "done" tagged 10 and tagged 20
  watch IFACE SECONDS     prints "ready", then counts frames until 1 s after a "done" marker (SECONDS at most);
                          prints JSON {"markers": {label: n}, "sources": [source MACs]} ("done" not counted)"""
import json, socket, struct, sys, time
from scapy.layers.l2 import Ether, Dot1Q, ARP
from scapy.layers.inet import IP, ICMP

SOL_PACKET, PACKET_AUXDATA, TP_STATUS_VLAN_VALID = 263, 8, 0x10
MARKER = 0x88B5

def open_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((iface, 0))
    return s

def receive(s):
    """One frame as (bytes with any tag inline, vid or None, 'aux' | 'inline' | None)."""
    data, ancdata, _, _ = s.recvmsg(65535, socket.CMSG_SPACE(20))
    for level, kind, cdata in ancdata:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(cdata) >= 20:
            status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", cdata[:20])
            if status & TP_STATUS_VLAN_VALID:
                tag = struct.pack("!HH", tpid or 0x8100, tci)
                return data[:12] + tag + data[12:], tci & 0xFFF, "aux"
    if len(data) >= 16 and data[12:14] == b"\x81\x00":
        return data, struct.unpack("!H", data[14:16])[0] & 0xFFF, "inline"
    return data, None, None

def tagged(frame, vid):
    return frame if vid == 0 else frame[:12] + struct.pack("!HH", 0x8100, vid) + frame[12:]

def mymac(iface):
    return open(f"/sys/class/net/{iface}/address").read().strip()

def probe(iface, vid, ip):
    s = open_socket(iface)
    s.settimeout(0.2)
    me = mymac(iface)
    mine = ip.rsplit(".", 1)[0] + ".99"
    result = {"arp_mac": None, "arp_vlan": None, "arp_form": None, "echo_reply": False, "echo_vlan": None}
    s.send(tagged(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=me) / ARP(op=1, hwsrc=me, psrc=mine, pdst=ip)), vid))
    end = time.time() + 2
    while time.time() < end and result["arp_mac"] is None:
        try:
            frame, v, form = receive(s)
        except socket.timeout:
            continue
        p = Ether(frame)
        if ARP in p and p[ARP].op == 2 and p[ARP].psrc == ip and p[ARP].pdst == mine:
            result.update(arp_mac=p[ARP].hwsrc, arp_vlan=v, arp_form=form)
    if result["arp_mac"]:
        echo = Ether(dst=result["arp_mac"], src=me) / IP(src=mine, dst=ip) / ICMP(id=0x5151, seq=1)
        s.send(tagged(bytes(echo), vid))
        end = time.time() + 2
        while time.time() < end and not result["echo_reply"]:
            try:
                frame, v, form = receive(s)
            except socket.timeout:
                continue
            p = Ether(frame)
            if ICMP in p and p[ICMP].type == 0 and p[ICMP].id == 0x5151:
                result.update(echo_reply=True, echo_vlan=v)
    print(json.dumps(result))

def markers(iface):
    s = open_socket(iface)
    me = bytes.fromhex(mymac(iface).replace(":", ""))
    for label, vid in (("blue", 10), ("red", 20), ("nowhere", 30), ("native", 0)):
        for dst in (b"\xff" * 6, bytes.fromhex("02deadbeef01")):
            body = struct.pack("!H", MARKER) + label.encode().ljust(46, b"\0")
            s.send(tagged(dst + me + body, vid))
    time.sleep(0.5)
    for vid in (10, 20):
        s.send(tagged(b"\xff" * 6 + me + struct.pack("!H", MARKER) + b"done".ljust(46, b"\0"), vid))
    print("sent=10")

def watch(iface, seconds):
    s = open_socket(iface)
    s.settimeout(0.2)
    print("ready", flush=True)
    counts, sources = {}, set()
    end = time.time() + seconds
    while time.time() < end:
        try:
            frame, vid, form = receive(s)
        except socket.timeout:
            continue
        sources.add(frame[6:12].hex(":"))
        offset = 16 if frame[12:14] == b"\x81\x00" else 12
        if frame[offset:offset + 2] == struct.pack("!H", MARKER):
            label = frame[offset + 2:offset + 48].rstrip(b"\0").decode()
            if label == "done":
                end = min(end, time.time() + 1)
            else:
                counts[label] = counts.get(label, 0) + 1
    print(json.dumps({"markers": counts, "sources": sorted(sources)}), flush=True)

if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "probe":
        probe(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "markers":
        markers(sys.argv[2])
    elif cmd == "watch":
        watch(sys.argv[2], float(sys.argv[3]))
