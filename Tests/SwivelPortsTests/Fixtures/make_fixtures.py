#!/usr/bin/python3
"""Regenerates the golden pcap fixtures (needs python3-scapy). Run from this directory.

flood-then-learn: host A (port p0) ARPs for B and pings it before B is known, so both frames flood to
p1 and p2; B (port p1) answers, and since A was learned on p0 the reply goes to p0 only. A runt on p0 is
dropped and counted. Frames are read port by port: all of in.p0.pcap, then in.p1.pcap.
"""
from scapy.all import Ether, ARP, IP, ICMP, Raw, wrpcap

A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
arp = Ether(src=A, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=A, psrc="10.9.0.1", pdst="10.9.0.2")
ping = Ether(src=A, dst=B) / IP(src="10.9.0.1", dst="10.9.0.2") / ICMP(id=7, seq=1) / Raw(b"swivel" * 8)
runt = Raw(bytes(range(10)))
reply = Ether(src=B, dst=A) / IP(src="10.9.0.2", dst="10.9.0.1") / ICMP(type=0, id=7, seq=1) / Raw(b"swivel" * 8)

d = "flood-then-learn/"
wrpcap(d + "in.p0.pcap", [arp, ping, runt], linktype=1)
wrpcap(d + "in.p1.pcap", [reply], linktype=1)
wrpcap(d + "expect.p0.pcap", [reply], linktype=1)
wrpcap(d + "expect.p1.pcap", [arp, ping], linktype=1)
wrpcap(d + "expect.p2.pcap", [arp, ping], linktype=1)
