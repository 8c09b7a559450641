#!/usr/bin/env bash
# From the project's shared captures folder (shared/data/captures/build-big-pcap.sh, written for Vigil's
# benchmarks); SRC may point at another folder of captures (default: shared/data/captures beside the repo).
# Builds a large classic-pcap file for throughput measurements by replicating the
# real captures in this folder. Copy i gets its own private IPv4 subnets
# (tcprewrite --pnat: 10.20.0.0/24 -> 10.<64+2k>.<j>.0/24, 10.30.0.0/24 -> 10.<65+2k>.<j>.0/24,
# i = 256k + j; multicast/broadcast untouched; checksums recomputed), is shifted in
# time (editcap -t), and all copies are concatenated (mergecap -a).
# Limits, on purpose or forced by tcprewrite 4.4.3:
#  - IPv6 frames are NOT rewritten: every tcprewrite pass (pnat, --seed, --enet-*) turns the
#    source MAC of IPv6 frames into 33:33:xx (seen here), so IPv6 frames bypass tcprewrite
#    and are merged back unchanged; MAC addresses therefore repeat across copies.
#  - --seed was rejected: it also randomises multicast IPs (224.0.0.251 -> random).
#  - addresses inside payloads (DHCP yiaddr, DNS answers, FTP EPSV, HL7/DICOM) keep 10.20/10.30.
# usage: [SRC=DIR] bash bench/build-big-capture.sh [OUT=/tmp/perf/big.pcap] [TARGET_MB=300]
set -euo pipefail
SRC=${SRC:-$(cd "$(dirname "$0")/../../shared/data/captures" 2>/dev/null && pwd || true)}
[ -n "$SRC" ] || { echo "no capture folder: set SRC" >&2; exit 2; }
OUT=${1:-/tmp/perf/big.pcap}
TARGET_MB=${2:-300}
T=$(mktemp -d /tmp/bigpcap.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$(dirname "$OUT")"
# base = every capture except the untagged HL7 duplicates (their VLAN-30 copies are used), as classic pcap
for f in "$SRC"/0*.pcap "$SRC"/0*.pcapng; do
  case "$f" in *04-hl7-mllp.pcap|*05-hl7-mllp-tls.pcap) continue;; esac
  editcap -F pcap "$f" "$T/in-$(basename "${f%.*}").pcap"
done
mergecap -F pcap -w "$T/base.pcap" "$T"/in-*.pcap
tcpdump -r "$T/base.pcap" -w "$T/base-v4.pcap" 'not (ip6 or (vlan and ip6))' 2>/dev/null
tcpdump -r "$T/base.pcap" -w "$T/base-v6.pcap" 'ip6 or (vlan and ip6)' 2>/dev/null
base=$(stat -c %s "$T/base.pcap")
n=$(( TARGET_MB * 1000000 / base + 1 ))
echo "base.pcap: $base bytes; building $n copies"
for i in $(seq 1 "$n"); do
  k=$(( i / 256 )); j=$(( i % 256 ))
  tcprewrite --pnat="10.20.0.0/24:10.$(( 64 + 2 * k )).$j.0/24,10.30.0.0/24:10.$(( 65 + 2 * k )).$j.0/24" \
    --fixcsum -i "$T/base-v4.pcap" -o "$T/r.pcap"
  mergecap -F pcap -w "$T/m.pcap" "$T/r.pcap" "$T/base-v6.pcap"
  editcap -t $(( i * 900 )) "$T/m.pcap" "$T/c$(printf %05d "$i").pcap"
done
rm -f "$T/r.pcap" "$T/m.pcap"
mergecap -F pcap -a -w "$OUT" "$T"/c*.pcap
ls -la "$OUT"
