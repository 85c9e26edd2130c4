#!/usr/bin/python3
"""Stands in for QEMU: opens an existing persistent TAP the way QEMU's -netdev tap does, and plays a guest
that answers ARP and ping for ADDRESS, for SECONDS, then exits (the TAP's carrier goes down with it).
  vm.py TAP ADDRESS SECONDS     prints "ready" once the TAP is open"""
import fcntl, os, select, struct, sys, time
from scapy.layers.l2 import Ether, ARP
from scapy.layers.inet import IP, ICMP

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000
tap, address, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
mac = "02:51:00:00:00:%02x" % (os.getpid() % 256)
print("ready", flush=True)
end = time.time() + seconds
while time.time() < end:
    if not select.select([fd], [], [], 0.2)[0]:
        continue
    frame = Ether(os.read(fd, 65536))
    if ARP in frame and frame[ARP].op == 1 and frame[ARP].pdst == address:
        reply = Ether(dst=frame.src, src=mac) / ARP(op=2, hwsrc=mac, psrc=address, hwdst=frame[ARP].hwsrc, pdst=frame[ARP].psrc)
        os.write(fd, bytes(reply))
    elif IP in frame and ICMP in frame and frame[IP].dst == address and frame[ICMP].type == 8:
        echo = frame[IP]
        reply = Ether(dst=frame.src, src=mac) / IP(src=address, dst=echo.src) / ICMP(type=0, id=echo[ICMP].id, seq=echo[ICMP].seq) / bytes(echo[ICMP].payload)
        os.write(fd, bytes(reply))
os.close(fd)
