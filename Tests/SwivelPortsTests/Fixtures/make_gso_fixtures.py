#!/usr/bin/python3
"""Regenerates Fixtures/kernel-gso (needs root, python3-scapy, iproute2, ethtool). Run from this directory.

1. Namespace A sends TCP (with TSO on, the default) to namespace B across a Linux bridge. An AF_PACKET
   socket with PACKET_VNET_HDR on A's bridge port records what the kernel hands a switch: super-frames
   with their virtio-net header. The first super-frames (GSO, more than one segment) are written to
   superframes.pcap, and their headers, one per line in the same order, to superframes.vnet
   ("flags gso_type hdr_len gso_size csum_start csum_offset").
2. Each super-frame is written, with its header, to an AF_PACKET socket on a veth whose TSO, GSO and
   checksum offload are off, so the kernel segments it and completes every checksum in software (as for
   any device without them); the peer, in namespace C with GRO off, records what arrives: segments.pcap, in order, each super-frame's
   segments one after the other.
The Swift test segments superframes.pcap with Offload.segmentTCP and compares with segments.pcap field by
field: IP ID, flags, lengths, checksums, sequence numbers, TCP flags, payload.
"""
import os, socket, struct, subprocess, sys, threading, time
from scapy.all import Ether, wrpcap

PACKET_VNET_HDR = 15
SOL_PACKET = 263
COUNT = 6

def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)

def cleanup():
    for ns in ("gsoa", "gsob", "gsoc"):
        subprocess.run(f"ip netns del {ns}", shell=True, stderr=subprocess.DEVNULL)
    for link in ("gsobr", "gsova", "gsovb", "gsovc"):
        subprocess.run(f"ip link del {link}", shell=True, stderr=subprocess.DEVNULL)

cleanup()
try:
    sh("ip link add gsobr type bridge && ip link set gsobr up")
    for ns, veth, addr in (("gsoa", "gsova", "10.77.0.1"), ("gsob", "gsovb", "10.77.0.2")):
        sh(f"ip netns add {ns} && ip link add {veth} type veth peer name eth0 netns {ns}")
        sh(f"ip link set {veth} master gsobr up && ip -n {ns} link set eth0 up && ip -n {ns} addr add {addr}/24 dev eth0")
    sh("ip netns add gsoc && ip link add gsovc type veth peer name eth0 netns gsoc")
    sh("ip link set gsovc up && ip -n gsoc link set eth0 up && ethtool -K gsovc tx off tso off gso off >/dev/null")
    sh("ip netns exec gsoc ethtool -K eth0 gro off >/dev/null")

    # 1. Super-frames as A's bridge port receives them.
    tap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))   # ETH_P_ALL: sees bridge ports
    tap.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    tap.bind(("gsova", 0))
    tap.settimeout(5)
    server = subprocess.Popen(["ip", "netns", "exec", "gsob", "python3", "-c",
        "import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',5001));s.listen(1);"
        "c,_=s.accept()\nwhile c.recv(65536): pass"])
    time.sleep(0.5)
    client = subprocess.Popen(["ip", "netns", "exec", "gsoa", "python3", "-c",
        "import socket,random;d=random.Random(7).randbytes(8<<20);s=socket.create_connection(('10.77.0.2',5001));s.sendall(d);s.close()"])
    supers = []
    while len(supers) < COUNT:
        data = tap.recv(70000)
        vnet, frame = data[:10], data[10:]
        flags, gso_type, hdr_len, gso_size, csum_start, csum_offset = struct.unpack("<BBHHHH", vnet)
        if frame[12:14] == b"\x08\x00" and gso_type & 0x7F == 1 and len(frame) - 66 > 2 * gso_size:   # TCPv4, 3+ segments
            supers.append(((flags, gso_type, hdr_len, gso_size, csum_start, csum_offset), frame))
    client.wait(); server.wait()

    # 2. The kernel's own software segmentation of the same super-frames.
    out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    out.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    out.bind(("gsovc", 0))
    got = []
    def sniff():
        rx = subprocess.run(["ip", "netns", "exec", "gsoc", "python3", "-c",
            "import socket,sys;s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(0x0800));s.bind(('eth0',0));s.settimeout(2)\n"
            "n=0\ntry:\n while True:\n  f=s.recv(70000);sys.stdout.write(f.hex()+'\\n');sys.stdout.flush()\nexcept socket.timeout: pass"],
            capture_output=True, text=True)
        got.extend(bytes.fromhex(l) for l in rx.stdout.split())
    t = threading.Thread(target=sniff); t.start(); time.sleep(0.7)
    for h, frame in supers:
        out.send(struct.pack("<BBHHHH", *h) + frame)
        time.sleep(0.05)
    t.join()

    wrpcap("kernel-gso/superframes.pcap", [Ether(f) for _, f in supers], linktype=1)
    with open("kernel-gso/superframes.vnet", "w") as v:
        for h, _ in supers:
            v.write(" ".join(str(x) for x in h) + "\n")
    wrpcap("kernel-gso/segments.pcap", [Ether(f) for f in got], linktype=1)
    print(f"superframes={len(supers)} segments={len(got)}")
finally:
    cleanup()
