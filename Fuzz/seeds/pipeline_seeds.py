#!/usr/bin/python3
"""Writes hand-made inputs for FuzzPipeline into Fuzz/corpus/pipeline: sequences a fuzzer finds slowly
(connections that fill the table or are revoked by a rule change, ARP that parks packets, routed frames).
Each input is encoded for PipelineFuzzer's decoder: raw frames (FrameRecipe kind 0), no offload, no cut.
  usage: Fuzz/seeds/pipeline_seeds.py   (idempotent: rewrites the seed-* files)"""
import glob, os, struct
from scapy.utils import rdpcap
from scapy.layers.l2 import Ether, ARP
from scapy.layers.inet import IP, UDP, TCP, ICMP

A, B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"
RBLUE, RGREEN = "02:5e:00:00:00:01", "02:5e:00:00:00:03"
IPA, IPB, IPGREEN = "10.1.0.10", "10.1.0.11", "10.3.0.20"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus", "pipeline")

def frame(port, packet):
    raw = bytes(packet)
    # port choice, offload byte (1: none), kind byte (0: raw), u16 length, bytes, cut byte (1: keep whole)
    return bytes([port, 1, 0]) + struct.pack("!H", len(raw)) + raw + bytes([1])

def batch(frames):
    return bytes([len(frames) - 1]) + b"".join(frames) + b"\x00\x00"   # frame count, then the clock step

def run(batches, rule_changes=(), ticks=0):
    data = batches[0]
    data += bytes([len(batches) - 1])            # further batches
    for i, b in enumerate(batches[1:]):
        data += bytes([0 if i in rule_changes else 1]) + b
    return data + bytes([3 if ticks else 0])     # ticks: choice 3 of [0, 0, 1, 4, n] -> 4 ticks

def udp(src, dst, sport, dport):
    return Ether(src=src[0], dst=dst[0]) / IP(src=src[1], dst=dst[1]) / UDP(sport=sport, dport=dport) / b"x"

def write(name, data):
    with open(os.path.join(OUT, "seed-" + name), "wb") as f:
        f.write(data)

a, b = (A, IPA), (B, IPB)
# Two connections replied (established), then a third: the two-entry table is full.
write("ct-table-full", run([
    batch([frame(0, udp(a, b, 1000, 2000)), frame(1, udp(b, a, 2000, 1000))]),
    batch([frame(0, udp(a, b, 1001, 2001)), frame(1, udp(b, a, 2001, 1001))]),
    batch([frame(0, udp(a, b, 1002, 2002))])]))
# Ping into the guarded port, allowed by the icmp rule; the rule goes; the next request is revoked.
echo = lambda seq: Ether(src=B, dst=A) / IP(src=IPB, dst=IPA) / ICMP(type=8, id=7, seq=seq)
write("ct-revoked", run([
    batch([frame(1, echo(1)), frame(0, Ether(src=A, dst=B) / IP(src=IPA, dst=IPB) / ICMP(type=0, id=7, seq=1))]),
    batch([frame(1, echo(2))])], rule_changes=(0,)))
# Four packets routed from green to an unresolved blue host: three wait for ARP, the fourth is dropped;
# ticks retry ARP and end in host unreachable.
routed = lambda i: Ether(src="02:00:00:00:00:0d", dst=RGREEN) / IP(src=IPGREEN, dst="10.1.0.99") / UDP(sport=5000 + i, dport=53)
write("arp-queue", run([batch([frame(4, routed(i)) for i in range(5)])], ticks=4))
# Denied by rule: tcp/23 from b into the guarded port.
write("acl-deny", run([batch([frame(1, Ether(src=B, dst=A) / IP(src=IPB, dst=IPA) / TCP(sport=4000, dport=23, flags="S"))])]))
# Routed into green (MTU 1000) with don't-fragment: fragmentation needed.
write("frag-needed", run([batch([frame(1, Ether(src=B, dst=RBLUE) / IP(src=IPB, dst=IPGREEN, flags="DF") / UDP(sport=5000, dport=53) / (b"z" * 1200))])]))
# Floods from the storm-controlled port: the third in a second is dropped.
write("storm", run([batch([frame(1, Ether(src=B, dst="ff:ff:ff:ff:ff:ff") / IP(src=IPB, dst="10.1.0.255") / UDP(dport=9)) for _ in range(4)])]))
# Routed across, after ARP resolves: green -> blue's b.
write("routed", run([batch([frame(4, routed(0)),
                            frame(1, Ether(src=B, dst=RBLUE) / ARP(op=2, hwsrc=B, psrc="10.1.0.99", hwdst=RBLUE, pdst="10.1.0.1"))])]))
# The pcap fixtures of the test suite, frame by frame, in batches of up to six, on the access ports in turn
# (raw frames longer than the decoder's 2 048 bytes are cut there).
fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "SwivelPortsTests", "Fixtures")
for path in sorted(glob.glob(os.path.join(fixtures, "*", "*.pcap"))):
    packets = [bytes(p) for p in rdpcap(path)]
    name = os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path)[:-5]
    for i in range(0, len(packets), 6):
        chunk = packets[i:i + 6]
        write(f"fixture-{name}-{i // 6}", run([batch([frame(j % 5, raw) for j, raw in enumerate(chunk)])]))
print("seeds written to", os.path.normpath(OUT))
