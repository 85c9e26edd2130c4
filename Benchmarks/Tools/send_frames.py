#!/usr/bin/python3
"""Sends COUNT minimum-size UDP frames from IFACE to DST_MAC/DST_IP on an AF_PACKET socket, as fast as
Python can (no pacing). Used by alloc-growth.sh to push real frames through swiveld."""
import socket, struct, sys

iface, dst_mac, src_ip, dst_ip, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((iface, 0))
src_mac = open(f"/sys/class/net/{iface}/address").read().strip()
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
ip = lambda a: socket.inet_aton(a)
udp = struct.pack("!HHHH", 1024, 9, 8 + 18, 0) + bytes(18)
hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, ip(src_ip), ip(dst_ip))
csum = sum(struct.unpack("!10H", hdr)); csum = (csum & 0xFFFF) + (csum >> 16); csum = ~((csum & 0xFFFF) + (csum >> 16)) & 0xFFFF
hdr = hdr[:10] + struct.pack("!H", csum) + hdr[12:]
frame = mac(dst_mac) + mac(src_mac) + b"\x08\x00" + hdr + udp
sent = 0
while sent < count:
    try:
        s.send(frame)
        sent += 1
    except BlockingIOError:
        pass
print(f"sent={sent}")
