#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Swivel builds and tests with, when missing. Needs root.
set -euo pipefail
packages=(liburing-dev libpcap-dev pkg-config iproute2 iputils-ping iperf3 ethtool procps curl python3 python3-scapy python3-prometheus-client python3-yaml tcpdump util-linux containernetworking-plugins podman runc busybox-static python3-jsonschema openvswitch-switch)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        export PATH=/opt/swift/usr/bin:$PATH
    else
        echo "Swift 6.1 or later is required (https://www.swift.org/install/linux/)" >&2
        exit 1
    fi
fi
