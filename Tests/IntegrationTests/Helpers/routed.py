#!/usr/bin/python3
"""Raw frames for the routing tests.
  garp IFACE IP                          a gratuitous ARP (request, sender = target = IP) from IFACE's MAC
  malformed IFACE ROUTER_MAC SRC DST     three broken IPv4 echo requests to the router's MAC: a bad header
                                         checksum, an IHL of 4, a total length beyond the frame"""
import socket, struct, sys
from scapy.layers.l2 import Ether, ARP
from scapy.layers.inet import IP, ICMP

def open_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    return s

def mymac(iface):
    return open(f"/sys/class/net/{iface}/address").read().strip()

cmd = sys.argv[1]
if cmd == "garp":
    iface, ip = sys.argv[2], sys.argv[3]
    me = mymac(iface)
    open_socket(iface).send(bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src=me) / ARP(op=1, hwsrc=me, psrc=ip, pdst=ip)))
    print("sent=1")
elif cmd == "malformed":
    iface, router, src, dst = sys.argv[2:6]
    s = open_socket(iface)
    good = bytearray(bytes(IP(src=src, dst=dst, ttl=64) / ICMP(id=0x4242) / (b"x" * 32)))
    bad_checksum = bytearray(good); bad_checksum[10] ^= 0xFF
    bad_ihl = bytearray(good); bad_ihl[0] = 0x44
    too_long = bytearray(good); too_long[2:4] = struct.pack("!H", 1400)
    # Keep the header checksum right for the length case, so only the length is wrong.
    hdr = too_long[:20]; hdr[10:12] = b"\0\0"
    total = sum(struct.unpack("!10H", bytes(hdr)))
    total = (total & 0xFFFF) + (total >> 16); total = (total & 0xFFFF) + (total >> 16)
    too_long[10:12] = struct.pack("!H", ~total & 0xFFFF)
    eth = bytes(Ether(dst=router, src=mymac(iface), type=0x0800))
    for packet in (bad_checksum, bad_ihl, too_long):
        s.send(eth + bytes(packet))
    print("sent=3")
