#!/usr/bin/env bash
# The end-to-end rig: three MCPTT clients (alice, bob, carol) in their own
# network namespaces on a bridge (the secure side), mcpxd bump-in-the-wire on
# DPDK net_af_packet vdevs, and a plain-side namespace with the MCPTT server
# stand-in (mcpx-plain-server) and dave, a plain-side user the appliance
# stands in for. Real processes, real keys (two KMSs, MIKEY-SAKKE), captures
# of both sides, hostile traffic. mcpxd holds only its sealed key store and
# gets every stream as an I_MESSAGE through its control socket (mcpxctl
# mikey install): no raw key crosses to it. Group floor control runs as SRTCP
# under each client's CSK. A GMK rekey mid-call, and mcpxd killed (-9) and
# restarted without reusing an index. Each step is a check with its figures;
# the exit status is 0 only if every check held. This is ./mcpx demo.
#
#   rig.sh [--build DIR] [--test] [--keep]
#
# Root only (namespaces, veths, a bridge): otherwise exit 2 (77 with --test,
# meson's "skipped"). Everything it creates is named mx<pid>* and is removed
# on exit, also after a failure. Addresses 10.77.0.0/24 exist only inside
# the namespaces; nothing leaves the machine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=$here/../../../build
TEST=0
KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--test) TEST=1; shift ;;
	--keep) KEEP=1; shift ;;
	*) echo "usage: rig.sh [--build DIR] [--test] [--keep]" >&2; exit 2 ;;
	esac
done
BUILD=$(cd "$BUILD" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "mcpx e2e: the rig needs root (network namespaces, veth pairs, a bridge):" \
		"run  sudo ./mcpx demo" >&2
	[ "$TEST" -eq 1 ] && exit 77
	exit 2
fi
for t in ip dumpcap tshark ethtool python3; do
	if ! command -v "$t" >/dev/null; then
		echo "mcpx e2e: '$t' is missing (./mcpx installs it: tshark, ethtool, iproute2)" >&2
		exit 1
	fi
done

KEYS=$BUILD/keys/tool/mcpx-keys
MCPXD=$BUILD/control/mcpxd
UE=$BUILD/sim/ue/mcpx-ue
SRV=$BUILD/sim/mcpx-plain-server
CTL_BIN=$BUILD/control/mcpxctl
DAVE=$BUILD/sim/demo/e2e/mcpx-e2e-dave
PY="python3 $here/e2e.py"
for b in "$KEYS" "$MCPXD" "$CTL_BIN" "$UE" "$SRV" "$DAVE"; do
	[ -x "$b" ] || { echo "mcpx e2e: $b is not built" >&2; exit 1; }
done

P=mx$$
NSD=${P}d NSS=${P}s NSA=${P}a NSB=${P}b NSC=${P}c
ALL_NS=("$NSA" "$NSB" "$NSC" "$NSS" "$NSD")
W=$(mktemp -d /tmp/mcpx-e2e.XXXXXX)
chmod 700 "$W"
CTL=("$CTL_BIN" --socket "$W/control.sock" --json --timeout 5000)
PIDS=()
T0=$(date +%s%N)

stop() {	# stop PID...: SIGTERM, at most 3 s, then SIGKILL
	local p i
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	for p in "$@"; do
		for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
ns_stop() {	# ns_stop NS...: every process left in our namespaces (ip netns exec forks)
	local n
	# shellcheck disable=SC2046
	for n in "$@"; do stop $(ip netns pids "$n" 2>/dev/null); done
}
cleanup() {
	local n
	set +e
	stop "${PIDS[@]}"
	ns_stop "${ALL_NS[@]}"
	for n in "${ALL_NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	if [ "$KEEP" -eq 1 ]; then echo "mcpx e2e: files kept in $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the report ------------------------------------------------------------
FAILED=0
NCHECK=0
check() {	# check OK|FAIL "what" "figures"
	NCHECK=$((NCHECK + 1))
	if [ "$1" = OK ]; then printf '  ok  %-58s %s\n' "$2" "$3"
	else printf '  !!  %-58s %s\n' "$2" "$3"; FAILED=$((FAILED + 1)); fi
}
step() { printf '\n%s\n' "$*"; }
jget() { python3 -c 'import json,sys
d=json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    d = d[int(k)] if isinstance(d, list) else d.get(k, 0) if isinstance(d, dict) else 0
print(d if not isinstance(d, bool) else str(d).lower())' "$1" "$2"; }
nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }
jvars() {	# jvars PREFIX JSON: its figures as PREFIX_key=value, for eval (one python run)
	python3 "$here/e2e.py" shell-vars "$1" "$2"
}

# The stores are sealed under a key file (32 random octets), not a
# passphrase: every tool opens a store in a few microseconds instead of an
# Argon2id run (~0.2 s each, dozens of times). docs/key-management.md has both.
head -c 32 /dev/urandom >"$W/store.key"
chmod 600 "$W/store.key"
keys() { "$KEYS" --key-file "$W/store.key" "$@"; }
MC=kms.example.org
SG=sg.example.net
U_ALICE=sip:alice@example.org U_BOB=sip:bob@example.org U_CAROL=sip:carol@example.org
U_GMS=sip:gms@example.org U_APP=sip:appliance@$SG U_MDSI=sip:mdsi@$SG U_DAVE=sip:dave@$SG

# ---- b. keys ----------------------------------------------------------------
keys_step() {
	local u f n
	cd "$W"
	keys kms init --state mc.state --uri $MC >/dev/null
	keys kms init --state sg.state --uri $SG --security-gateway >/dev/null
	keys kms cert --state mc.state -o mc-cert.xml
	keys kms cert --state sg.state -o sg-cert.xml
	for u in gms alice bob carol; do
		keys kms issue --state mc.state --user "sip:$u@example.org" -o "$u.xml"
	done
	for u in appliance mdsi dave; do
		keys kms issue --state sg.state --user "sip:$u@$SG" -o "$u.xml"
	done
	for u in gms alice bob carol; do
		keys store init --store "$u.store" >/dev/null
		keys store import --store "$u.store" mc-cert.xml "$u.xml" >/dev/null
		keys store import --store "$u.store" --cross-signed sg-cert.xml >/dev/null
	done
	keys store init --store appliance.store >/dev/null
	keys store import --store appliance.store sg-cert.xml appliance.xml mdsi.xml \
		dave.xml >/dev/null
	keys store import --store appliance.store --cross-signed mc-cert.xml >/dev/null
	keys gms gmk --store gms.store --user $U_GMS --group sip:fire@example.org \
		--member $U_ALICE --member $U_BOB --member $U_CAROL \
		--member $U_APP --member-kms $SG >gmk.out
	n=0
	for u in alice bob carol appliance; do
		n=$((n + 2))
		sed -n "${n}p" gmk.out >"gmk-$u.b64"
	done
	keys pck --store alice.store --user $U_ALICE --to $U_DAVE --to-kms $SG | sed -n 2p >pck.b64
	for u in alice bob carol; do
		keys csk --store "$u.store" --user "sip:$u@example.org" --to $U_MDSI \
			--to-kms $SG | sed -n 2p >"csk-$u.b64"
	done
	for f in mc.state sg.state; do [ -s "$f" ] || return 1; done
}

opened() {	# opened STORE USER FILE: the recipient verifies and opens it
	keys --json mikey dump --store "$W/$1" --user "$2" "$W/$3" 2>/dev/null |
		grep -q '"opened":true'
}

step "b. keys: two KMSs, key sets, cross-imported certificates, sealed stores, I_MESSAGEs"
t=$(date +%s%N)
if keys_step 2>"$W/keys.err"; then
	check OK "KMS $MC and Security Gateway KMS $SG, 7 key sets, 5 stores" \
		"$(( ($(date +%s%N) - t) / 1000000 )) ms"
else
	check FAIL "key management" "$(head -c 300 "$W/keys.err")"
	exit 1
fi
n_ok=0
for u in alice bob carol; do opened "$u.store" "sip:$u@example.org" "gmk-$u.b64" && n_ok=$((n_ok + 1)); done
opened appliance.store $U_APP gmk-appliance.b64 && n_ok=$((n_ok + 1))
[ $n_ok -eq 4 ] && r=OK || r=FAIL
check $r "GMK I_MESSAGEs from the GMS opened by their recipients" "$n_ok/4"
segy=$(keys --json mikey dump --store "$W/appliance.store" --user $U_APP "$W/gmk-appliance.b64" |
	grep -c '"shared_with_segy":true' || true)
segy_a=$(keys --json mikey dump --store "$W/alice.store" --user $U_ALICE "$W/gmk-alice.b64" |
	grep -c '"shared_with_segy":true' || true)
[ "$segy" -ge 1 ] && [ "$segy_a" -eq 0 ] && r=OK || r=FAIL
check $r "only the appliance's GMK is shared with the Security Gateway" "appliance $segy, alice $segy_a"
opened appliance.store $U_DAVE pck.b64 && r=OK || r=FAIL
check $r "alice's PCK for dave opened by the appliance (dave's RSK)" "$r"
n_ok=0
for u in alice bob carol; do opened appliance.store $U_MDSI "csk-$u.b64" && n_ok=$((n_ok + 1)); done
[ $n_ok -eq 3 ] && r=OK || r=FAIL
check $r "CSK uploads to the server's MDSI opened by the appliance" "$n_ok/3"
if opened bob.store $U_BOB gmk-alice.b64; then r=FAIL; else r=OK; fi
check $r "bob cannot open alice's GMK message" "refused"

# ---- mcpxd's keys: the I_MESSAGEs, no keys ------------------------------------
# mcpxd gets the appliance's sealed store (--key-store) and, through its
# control socket, the I_MESSAGEs and the streams they key (mcpxctl mikey
# install): it opens them, derives every master and installs the streams
# itself. No raw key leaves a store; the rig only says which stream is whose.
SRV_IP=10.77.0.100 DAVE_IP=10.77.0.104 EVIL_IP=10.77.0.66
A_IP=10.77.0.1 B_IP=10.77.0.2 C_IP=10.77.0.3
S_A=a11ce001 S_B=b0b00002 S_C=ca201003 S_APC=a11cec01 S_DAVE=da7e0004 S_SRV=6d637078
GM=5000 GF=5001 PM=5010 PF=5011
guk_of() {	# guk_of URI [GMS_OUT]: the member's GUK-ID as the GMS announced it (public)
	local h
	h=$(grep -F "# GMK for $1, GUK-ID " "$W/${2:-gmk.out}" | sed 's/.*GUK-ID //')
	[ -n "$h" ] && echo $((16#$h))
}
raw_msg() {	# raw_msg B64FILE OUT: the I_MESSAGE octets mcpxctl --msg takes
	sed 's/^a=key-mgmt:mikey //' "$1" | base64 -d >"$2"
}
mem() {	# mem ADDR:PORT...: a JSON members array
	local m out=""
	for m in "$@"; do out="$out${out:+,}{\"addr\":\"${m%%:*}\",\"port\":${m#*:}}"; done
	echo "[$out]"
}
gmk_streams() {	# gmk_streams GMS_OUT: a GMK's streams, the senders' GUK-IDs from GMS_OUT
	local x g
	echo '['
	for x in alice:$S_A bob:$S_B carol:$S_C; do
		g=$(guk_of "sip:${x%%:*}@example.org" "$1") || return 1
		echo "{\"dir\":\"unprotect\",\"proto\":\"rtp\",\"ssrc\":\"0x${x#*:}\",\"port\":$GM,\"cs_id\":4,\"guk_id\":$g,\"replay_window\":128},"
	done
	echo "{\"dir\":\"protect\",\"proto\":\"rtp\",\"ssrc\":\"0x$S_A\",\"members\":$(mem $B_IP:42010 $C_IP:42020)},"
	echo "{\"dir\":\"protect\",\"proto\":\"rtp\",\"ssrc\":\"0x$S_B\",\"members\":$(mem $A_IP:42000 $C_IP:42020)}"
	echo ']'
}
plan_step() {
	local x
	raw_msg "$W/gmk-appliance.b64" "$W/gmk-appliance.mikey"
	raw_msg "$W/pck.b64" "$W/pck.mikey"
	raw_msg "$W/gmk-bob.b64" "$W/gmk-bob.mikey"
	gmk_streams gmk.out >"$W/gmk-streams.json" || return 1
	cat >"$W/pck-streams.json" <<JSON
[{"dir":"unprotect","proto":"rtp","ssrc":"0x$S_APC","port":$PM,"cs_id":0,"replay_window":128},
 {"dir":"unprotect","proto":"rtcp","ssrc":"0x$S_APC","port":$PF,"cs_id":0,"replay_window":128},
 {"dir":"protect","proto":"rtp","ssrc":"0x$S_DAVE","cs_id":1,"members":$(mem $A_IP:42100)},
 {"dir":"protect","proto":"rtcp","ssrc":"0x$S_SRV","cs_id":1,"members":$(mem $A_IP:42101)}]
JSON
	# Group floor control runs under each client's CSK (CS 6), uploaded to the
	# server's MDSI: SRTCP from the client, and the server's towards it.
	for x in alice:$S_A:$A_IP:42001 bob:$S_B:$B_IP:42011 carol:$S_C:$C_IP:42021; do
		IFS=: read -r u ssrc ip port <<<"$x"
		raw_msg "$W/csk-$u.b64" "$W/csk-$u.mikey"
		cat >"$W/csk-$u-streams.json" <<JSON
[{"dir":"unprotect","proto":"rtcp","ssrc":"0x$ssrc","port":$GF,"cs_id":6,"replay_window":128},
 {"dir":"protect","proto":"rtcp","ssrc":"0x$S_SRV","cs_id":6,"members":$(mem "$ip:$port")}]
JSON
	done
	python3 -c 'import json,sys
for f in sys.argv[1:]: json.load(open(f))' "$W"/*-streams.json
}
plan_step 2>"$W/plan.err" || { check FAIL "the appliance's streams (no keys)" "$(cat "$W/plan.err")"; exit 1; }

# ---- the network --------------------------------------------------------------
step "network: namespaces $P{a,b,c} (clients) -- bridge -- mcpxd ($NSD) -- $NSS (server, dave)"
for n in "${ALL_NS[@]}"; do
	ip netns add "$n"
	nsx "$n" ip link set lo up
	nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
nsx "$NSD" ip link add br0 type bridge
nsx "$NSD" ip link set br0 up
i=0
for n in "$NSA" "$NSB" "$NSC"; do
	i=$((i + 1))
	nsx "$NSD" ip link add "c$i" type veth peer name eth0 netns "$n"
	nsx "$NSD" ip link set "c$i" master br0 up
	nsx "$n" ip addr add "10.77.0.$i/24" dev eth0
	nsx "$n" ethtool -K eth0 tx off >/dev/null
	nsx "$n" ip link set eth0 up
done
nsx "$NSC" ip addr add $EVIL_IP/24 dev eth0
nsx "$NSD" ip link add s0 type veth peer name s1
nsx "$NSD" ip link set s0 master br0 up
nsx "$NSD" ip link set s1 up
nsx "$NSD" ip link add p1 type veth peer name eth0 netns "$NSS"
nsx "$NSD" ip link set p1 up
nsx "$NSS" ip addr add $SRV_IP/24 dev eth0
nsx "$NSS" ip addr add $DAVE_IP/24 dev eth0
nsx "$NSS" ethtool -K eth0 tx off >/dev/null
nsx "$NSS" ip link set eth0 up
for x in s0 s1 p1; do nsx "$NSD" ethtool -K "$x" tx off rx off >/dev/null 2>&1 || true; done
# Neighbours set by hand, both sides: no ARP crosses mcpxd at a random moment
# (a kernel's reachability probe would show in the counters of step g.).
mac_of() { nsx "$1" ip -br link show eth0 | awk '{print $3}'; }
for n in "$NSA" "$NSB" "$NSC"; do
	for ip in $SRV_IP $DAVE_IP; do
		nsx "$n" ip neigh replace $ip lladdr "$(mac_of "$NSS")" dev eth0 nud permanent
	done
done
for x in "$A_IP:$NSA" "$B_IP:$NSB" "$C_IP:$NSC" "$EVIL_IP:$NSC"; do
	nsx "$NSS" ip neigh replace "${x%%:*}" lladdr "$(mac_of "${x#*:}")" dev eth0 nud permanent
done

mcpxd_start() {	# mcpxd_start LOG: the live mcpxd (also its restart in k.); waits for it
	MCPXD_LOG=$W/$1
	# ip netns exec execs mcpxd (no fork): $! is mcpxd itself, for kill -9 in k.
	ip netns exec "$NSD" "$MCPXD" --no-huge --no-shconf -m 512 --no-pci -l 0-1 --file-prefix "$P" \
		--log-level=lib.eal:error \
		--vdev=net_af_packet0,iface=s1,framecnt=4096 \
		--vdev=net_af_packet1,iface=p1,framecnt=4096 -- \
		--pair 0:1 --workers 1 --idle-sleep-us 50 \
		--control "$W/control.sock" --key-store "$W/appliance.store" \
		--key-store-key-file "$W/store.key" --state-dir "$W/state" \
		>"$MCPXD_LOG" 2>&1 &
	PIDS+=($!)
	MCPXD_PID=$!
	for _ in $(seq 1 100); do
		grep -q running "$MCPXD_LOG" && break
		kill -0 $MCPXD_PID 2>/dev/null || break
		sleep 0.05
	done
}
mcpxd_start mcpxd.log
h=$("${CTL[@]}" health 2>&1) || true
if grep -q running "$W/mcpxd.log" && [ "$(jget "$h" key_store)" = true ]; then
	check OK "mcpxd up on net_af_packet s1 (secure) / p1 (plain), sealed store" \
		"$(jget "$h" status), key store $(jget "$h" key_store), streams $(jget "$h" streams)"
else
	check FAIL "mcpxd up" "$(tail -3 "$W/mcpxd.log" | tr '\n' ' ') $h"
	exit 1
fi

# ---- keys into mcpxd through its control socket ------------------------------------
step "keys into mcpxd: mcpxctl mikey install (I_MESSAGE + streams, no keys; mcpxd opens them)"
ctl_install() {	# ctl_install WHAT MSG STREAMS PURPOSE [MCPXCTL ARGS]: one install, one check
	local out r
	if out=$("${CTL[@]}" mikey install --msg "$W/$2" --streams "$W/$3" --purpose "$4" \
		"${@:5}" 2>"$W/$3.err"); then
		r=OK
	else
		r=FAIL
	fi
	echo "$out" >"$W/$3.reply"
	[ $r = OK ] || out=$(head -c 200 "$W/$3.err")
	check $r "$1" "$(python3 - "$out" <<'PYX'
import json, sys
try:
    d = json.loads(sys.argv[1])
except Exception:
    print(sys.argv[1]); sys.exit()
ids = [s["id"] for s in d.get("streams", [])]
mkis = sorted(set(s["mki"] for s in d.get("streams", [])))
print("key id %s, streams %s-%s (%d), MKIs %s" % (d.get("key_id"), min(ids or [0]),
      max(ids or [0]), len(ids), " ".join(mkis)))
PYX
)"
}
mkis_of() {	# mkis_of REPLY DIR: the MKIs mcpxd derived, for streams of DIR in the request
	python3 - "$W/$1.reply" "$W/$1" "$2" <<'PYX'
import json, sys
rep = json.load(open(sys.argv[1]))["streams"]
req = json.load(open(sys.argv[2]))
print(",".join(sorted(set(r["mki"] for r, q in zip(rep, req) if q["dir"] == sys.argv[3]))))
PYX
}
ctl_install "GMK (appliance's message): 3 senders' media, 2 towards members" \
	gmk-appliance.mikey gmk-streams.json 0
ctl_install "PCK (alice -> dave): CS 0 from alice, CS 1 towards her" pck.mikey pck-streams.json 1
for u in alice bob carol; do
	ctl_install "CSK ($u -> server's MDSI): floor control both ways" \
		"csk-$u.mikey" "csk-$u-streams.json" 2
done
CSK_MKIS=$(for u in alice bob carol; do mkis_of "csk-$u-streams.json" unprotect; done | paste -sd,)
GMK_APP_MKI=$(mkis_of gmk-streams.json protect)
SENDER_MKIS=$(mkis_of gmk-streams.json unprotect)
PCK_MKI=$(mkis_of pck-streams.json unprotect)
[ "$(echo "$SENDER_MKIS" | tr ',' '\n' | grep -c .)" -eq 3 ] && [ "${#GMK_APP_MKI}" -eq 16 ] &&
	[ "${#PCK_MKI}" -eq 8 ] && [ "$(echo "$CSK_MKIS" | tr ',' '\n' | grep -c .)" -eq 3 ] && r=OK || r=FAIL
check $r "MKIs: GMK-ID||GUK-ID per sender, PCK-ID, CSK-IDs" "own $GMK_APP_MKI, PCK $PCK_MKI, CSK $CSK_MKIS"
out=$("${CTL[@]}" mikey install --msg "$W/gmk-bob.mikey" --streams "$W/gmk-streams.json" \
	--purpose 0 2>/dev/null) || true
code=$(echo "$out" | python3 -c 'import json,sys
try: e=json.load(sys.stdin)["error"]; print(e["code"], e["message"][:60])
except Exception: print("accepted?")')
[ "${code%% *}" = mikey_rejected ] && r=OK || r=FAIL
check $r "mcpxd refuses bob's GMK message (not its recipient)" "$code"
h=$("${CTL[@]}" health 2>&1) || true
n_st=$(jget "$h" streams)
[ "$n_st" -eq 15 ] && r=OK || r=FAIL
check $r "mcpxd holds the streams mcpxctl installed, and no key came over" \
	"streams $n_st, raw keys in requests: $(cat "$W"/*-streams.json | grep -c master_ || true)"
counters() { $PY counters "$P"; }

# ip netns exec, not nsx, wherever a pid is stopped later: a function in the
# background is a subshell, and stopping it would leave its child running
ip netns exec "$NSD" dumpcap -q -P -i s0 -w "$W/secure.pcap" >/dev/null 2>&1 &
PIDS+=($!)
CAP_S=$!
ip netns exec "$NSS" dumpcap -q -P -i eth0 -w "$W/plain.pcap" >/dev/null 2>&1 &
PIDS+=($!)
CAP_P=$!
sleep 1

# ---- a. plain UDP ---------------------------------------------------------------
step "a. plain UDP (not RTP) through mcpxd, both ways"
c0=$(counters)
nsx "$NSS" $PY udp-echo $SRV_IP 7000 5 4 >"$W/echo.json" &
PIDS+=($!)
sleep 0.3
r=$(nsx "$NSA" $PY udp-probe $A_IP $SRV_IP 7000 5) && ok=OK || ok=FAIL
c1=$(counters)
echo "$c0" >"$W/c0.json"; echo "$c1" >"$W/c1.json"
pass=$(python3 -c 'import json,sys
a=json.load(open(sys.argv[1]));b=json.load(open(sys.argv[2]))
t=lambda d:d["/mcpx/counters"]["total"]
print(t(b).get("pass",0)-t(a).get("pass",0))' "$W/c0.json" "$W/c1.json")
check $ok "datagrams alice -> server -> alice, unchanged" \
	"sent $(jget "$r" sent), back $(jget "$r" received), unchanged $(jget "$r" unchanged)"
[ "$pass" -ge 10 ] && ok=OK || ok=FAIL
check $ok "counted pass by mcpxd" "pass +$pass"

# ---- c. group call ---------------------------------------------------------------
step "c. group call: alice then bob talk (SRTP, AEAD_AES_128_GCM, RCCm3, MKI GMK-ID||GUK-ID), carol listens; floor control under the CSKs"
cat >"$W/server.conf" <<CONF
listen $SRV_IP
group fire=$GM,$GF
member fire/$U_ALICE=$A_IP:42000,42001
member fire/$U_BOB=$B_IP:42010,42011
member fire/$U_CAROL=$C_IP:42020,42021
group pc1=$PM,$PF,private
member pc1/$U_ALICE=$A_IP:42100,42101
member pc1/$U_DAVE=$DAVE_IP:42030,42031
CONF
ip netns exec "$NSS" "$SRV" --config "$W/server.conf" --json >"$W/server.json" 2>"$W/server.err" &
PIDS+=($!)
SRV_PID=$!
sleep 0.3
N=150
ue_run() {	# ue_run NS NAME TAG ARGS...
	local n=$1 name=$2 tag=$3
	shift 3
	nsx "$n" "$UE" --key-file "$W/store.key" --json --duration 20000 --linger "${LINGER:-1000}" --store "$W/$name.store" \
		--user "sip:$name@example.org" "$@" >"$W/$tag.json" 2>"$W/$tag.err"
}
bound() {	# bound NS PORT: wait until a UDP socket listens there (10 s at most)
	local i
	for i in $(seq 1 200); do
		[ -n "$(nsx "$1" ss -Hlun "sport = :$2")" ] && return 0
		sleep 0.05
	done
	printf '  ..  nothing listens on UDP port %s in %s after 10 s; going on\n' "$2" "$1"
	return 1
}
ue_run "$NSC" carol g-carol --local $C_IP:42020 --server $SRV_IP:$GM --gmk "$W/gmk-carol.b64" \
	--key "$W/csk-carol.b64" \
	--ssrc $S_C --expect-senders 2 --expect-frames $N &
pc=$!
ue_run "$NSB" bob g-bob --local $B_IP:42010 --server $SRV_IP:$GM --gmk "$W/gmk-bob.b64" \
	--key "$W/csk-bob.b64" \
	--ssrc $S_B --seq-start 40000 --talk $N --rate 200 --floor --talk-at 1600 \
	--expect-senders 1 --expect-frames $N &
pb=$!
bound "$NSC" 42020 && bound "$NSB" 42010 || true
sleep 0.3	# the keys are read after the sockets are bound
LINGER=2000 ue_run "$NSA" alice g-alice --local $A_IP:42000 --server $SRV_IP:$GM --gmk "$W/gmk-alice.b64" \
	--key "$W/csk-alice.b64" \
	--ssrc $S_A --seq-start 1000 --talk $N --rate 200 --floor \
	--expect-senders 1 --expect-frames $N &
pa=$!
PIDS+=("$pa" "$pb" "$pc")
ue_summary() {	# ue_summary FILE: one line of figures from an mcpx-ue --json report
	python3 - "$1" <<'PYX'
import json, sys
try:
    c = json.load(open(sys.argv[1]))["clients"][0]
except Exception:
    print("no report"); sys.exit()
sn = [s for se in c.get("sessions", []) for s in se.get("senders", []) if s.get("proto") == "srtp"]
f = c.get("floor", {})
print("sent %d, verified %s, bad %d, late %d, gaps %d, floor rx %s%s" % (
    c["sent"]["frames"], "+".join(str(s["verified"]) for s in sn) or "0",
    sum(s["bad"] for s in sn), sum(s["late"] for s in sn), sum(s["gaps"] for s in sn),
    sum(f.get("received", {}).values()) if f else 0,
    "" if c.get("ok") else " FAILED: " + str(c.get("failed"))))
PYX
}
for who in alice:$pa bob:$pb carol:$pc; do
	if wait "${who#*:}"; then ok=OK; else ok=FAIL; fi
	check $ok "${who%%:*}: mcpx-ue verified every frame" "$(ue_summary "$W/g-${who%%:*}.json")"
done
csk_fwd() {	# csk_fwd USER: fwd of its CSK streams (from it, towards it), as mcpxd counts
	local id f=""
	for id in $(python3 -c 'import json,sys
print(" ".join(str(s["id"]) for s in json.load(open(sys.argv[1]))["streams"]))' \
		"$W/csk-$1-streams.json.reply"); do
		f="$f${f:+/}$(jget "$("${CTL[@]}" stream get "$id" 2>/dev/null || echo '{}')" stream.verdicts.fwd)"
	done
	echo "$f"
}
f_a=$(csk_fwd alice) f_b=$(csk_fwd bob) f_c=$(csk_fwd carol)
n_bad=0
for f in "$f_a" "$f_b" "$f_c"; do [ "${f%/*}" -ge 0 ] && [ "${f#*/}" -ge 1 ] || n_bad=$((n_bad + 1)); done
[ "${f_a%/*}" -ge 1 ] && [ "${f_b%/*}" -ge 1 ] && [ $n_bad -eq 0 ] && ok=OK || ok=FAIL
check $ok "floor control as SRTCP under each CSK (from/to, fwd)" "alice $f_a, bob $f_b, carol $f_c"

# ---- d. private call ---------------------------------------------------------------
step "d. private call alice <-> dave (plain side) under the PCK, MKI = PCK-ID, both ways"
NP=100
nsx "$NSS" "$DAVE" --local $DAVE_IP:42030 --server $SRV_IP:$PM --user $U_DAVE --ssrc $S_DAVE \
	--talk $NP --rate 200 --talk-at 1000 --expect-frames $NP --duration 5000 \
	>"$W/dave.json" 2>"$W/dave.err" &
pd=$!
PIDS+=("$pd")
bound "$NSS" 42030 || true
ue_run "$NSA" alice p-alice --local $A_IP:42100 --server $SRV_IP:$PM --key "$W/pck.b64" \
	--ssrc $S_APC --seq-start 3000 --talk $NP --rate 200 --floor \
	--expect-senders 1 --expect-frames $NP &
pa=$!
PIDS+=("$pa")
if wait $pa; then ok=OK; else ok=FAIL; fi
check $ok "alice: dave's frames verified (PCK, CS 1), hers sent (CS 0)" "$(ue_summary "$W/p-alice.json")"
if wait $pd; then ok=OK; else ok=FAIL; fi
dj=$(cat "$W/dave.json" 2>/dev/null || echo '{}')
check $ok "dave (plain RTP): alice's frames arrived in clear and intact" \
	"sent $(jget "$dj" sent), verified $(jget "$dj" from.verified), bad $(jget "$dj" from.bad), gaps $(jget "$dj" from.gaps), floor rx $(jget "$dj" received.floor)"

# ---- f. hostile traffic --------------------------------------------------------------
step "f. hostile traffic from $EVIL_IP on the secure side, while alice talks to bob again"
sample=$($PY grab "$W/secure.pcap" 42000 $GM 5)
MARK=de7ec7ab1e0ff1ce
c2=$(counters)
echo "$c2" >"$W/c2.json"
ue_run "$NSB" bob h-bob --local $B_IP:42010 --server $SRV_IP:$GM --gmk "$W/gmk-bob.b64" \
	--key "$W/csk-bob.b64" \
	--ssrc $S_B --seq-start 20000 --expect-senders 1 --expect-frames $N &
pb=$!
PIDS+=("$pb")
bound "$NSB" 42010 || true
sleep 0.3
ue_run "$NSA" alice h-alice --local $A_IP:42000 --server $SRV_IP:$GM --gmk "$W/gmk-alice.b64" \
	--key "$W/csk-alice.b64" \
	--ssrc $S_A --seq-start 20000 --talk $N --rate 100 --floor &
pa=$!
PIDS+=("$pa")
sleep 0.3
declare -A SENT
for kind in random rtp-random truncated replayed bitflip wrong-mki oversized unknown-ssrc forged-guk; do
	n=50
	case $kind in unknown-ssrc | forged-guk) n=2000 ;; esac
	nsx "$NSC" $PY inject $EVIL_IP 43000 $SRV_IP $GM $kind "$sample" $MARK $n >/dev/null
	SENT[$kind]=$n
done
if wait $pb; then ok=OK; else ok=FAIL; fi
wait $pa || true
check $ok "good stream served during the attack: bob verified alice" "$(ue_summary "$W/h-bob.json")"
kill -0 $MCPXD_PID 2>/dev/null && ok=OK || ok=FAIL
check $ok "mcpxd still running" "pid $MCPXD_PID"
sleep 0.5
c3=$(counters)
echo "$c3" >"$W/c3.json"
missed=$(jget "$c3" /mcpx/counters.port0.rx_missed)
[ "$missed" = 0 ] && ok=OK || ok=FAIL
check $ok "the secure port lost nothing under the flood before mcpxd saw it" "rx_missed $missed"
python3 - "$W/c2.json" "$W/c3.json" >"$W/delta.txt" <<'PYX'
import json, sys
a = json.load(open(sys.argv[1]))["/mcpx/counters"]
b = json.load(open(sys.argv[2]))["/mcpx/counters"]
def d(sec, k):
    return b.get(sec, {}).get(k, 0) - a.get(sec, {}).get(k, 0)
keys = ["drop_auth", "drop_replay", "drop_noctx", "drop_short", "drop_malformed",
        "drop_policy", "punt", "pass", "punt_limited", "punt_full"]
print(" ".join("%s=%d" % (k, d("total", k)) for k in keys))
PYX
TOTAL_INJ=0
for k in "${!SENT[@]}"; do TOTAL_INJ=$((TOTAL_INJ + SENT[$k])); done
check OK "injected: $(for k in random rtp-random truncated replayed bitflip wrong-mki oversized unknown-ssrc forged-guk; do printf '%s %s ' "$k" "${SENT[$k]}"; done)" "$TOTAL_INJ in all"
dl=$(cat "$W/delta.txt")
dv() { echo "$dl" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(dv drop_auth)" -ge $((SENT[bitflip] + SENT[oversized])) ] && ok=OK || ok=FAIL
check $ok "bit-flipped and oversized: drop_auth" "+$(dv drop_auth) (sent $((SENT[bitflip] + SENT[oversized])))"
# Exactly the replays: any more would be a client reusing an SRTCP index (a GCM nonce)
[ "$(dv drop_replay)" -eq "${SENT[replayed]}" ] && ok=OK || ok=FAIL
check $ok "replayed: drop_replay, and nothing else" "+$(dv drop_replay) (sent ${SENT[replayed]})"
[ "$(dv drop_noctx)" -ge $((SENT[wrong-mki] + SENT[rtp-random])) ] && ok=OK || ok=FAIL
check $ok "wrong MKI, RTP-shaped junk: drop_noctx" "+$(dv drop_noctx) (sent $((SENT[wrong-mki] + SENT[rtp-random])))"
fl=$((SENT[unknown-ssrc] + SENT[forged-guk]))
[ $(( $(dv punt) + $(dv punt_limited) )) -ge 1 ] && ok=OK || ok=FAIL
check $ok "floods of unknown SSRCs / forged GUK-IDs: slow path, rate-bounded" "punt +$(dv punt), punt_limited +$(dv punt_limited) (sent $fl)"
check OK "every reason (total deltas)" "$dl"

# ---- h. late entry ---------------------------------------------------------------------
# bob talks through mcpxd from SEQ 65300: the burst wraps (ROC 0 -> 1) at
# frame 236. carol joins after 300 packets: she has seen no packet of ROC 0
# and must take the ROC from the RCCm3 trailer, which mcpxd's protect side
# writes. alice joins just as late but ignores the trailer: every packet
# fails. (bob's burst in c. starts at SEQ 40000, within 2^15 of this one, so
# mcpxd's index estimate for his SSRC carries over.)
step "h. late entry through mcpxd: bob's SEQ wraps, carol joins after the wrap (ROC from mcpxd's RCCm3 trailer)"
NL=400 JL=300 SEQ_L=65300
WRAP=$((65536 - SEQ_L))
ue_run "$NSC" carol l-carol --local $C_IP:42020 --server $SRV_IP:$GM \
	--gmk "$W/gmk-carol.b64" --key "$W/csk-carol.b64" --ssrc $S_C \
	--join-after $JL --expect-senders 1 --expect-frames $((NL - JL)) &
pc=$!
ue_run "$NSA" alice l-alice --local $A_IP:42000 --server $SRV_IP:$GM \
	--gmk "$W/gmk-alice.b64" --key "$W/csk-alice.b64" --ssrc $S_A \
	--join-after $JL --ignore-roc --expect-senders 1 --expect-frames $((NL - JL)) &
pa=$!
PIDS+=("$pc" "$pa")
bound "$NSC" 42020 && bound "$NSA" 42000 || true
sleep 0.3
ue_run "$NSB" bob l-bob --local $B_IP:42010 --server $SRV_IP:$GM --gmk "$W/gmk-bob.b64" \
	--key "$W/csk-bob.b64" \
	--ssrc $S_B --seq-start $SEQ_L --talk $NL --rate 400 --floor &
pb=$!
PIDS+=("$pb")
rc_a=0 rc_b=0 rc_c=0
wait $pb || rc_b=$?
wait $pc || rc_c=$?
wait $pa || rc_a=$?
[ $rc_b -eq 0 ] && ok=OK || ok=FAIL
check $ok "bob: $NL frames from SEQ $SEQ_L through mcpxd, wrap at frame $WRAP" "$(ue_summary "$W/l-bob.json")"
j=$($PY ue-from "$W/l-carol.json" 0x$S_B) || true
[ $rc_c -eq 0 ] && [ "$(jget "$j" verified)" -ge $((NL - JL)) ] && [ "$(jget "$j" first)" -ge $WRAP ] &&
	[ "$(jget "$j" bad)" -eq 0 ] && [ "$(jget "$j" refused)" -eq 0 ] && ok=OK || ok=FAIL
check $ok "carol joined after the wrap, verified every frame after it" \
	"skipped $(jget "$j" before_join), verified $(jget "$j" verified) (frames $(jget "$j" first)-$(jget "$j" last)), bad $(jget "$j" bad), gaps $(jget "$j" gaps), refused $(jget "$j" refused)"
j=$($PY ue-from "$W/l-alice.json" 0x$S_B) || true
[ $rc_a -eq 1 ] && [ "$(jget "$j" before_join)" -ge $JL ] && [ "$(jget "$j" verified)" -eq 0 ] &&
	[ "$(jget "$j" refused)" -ge 1 ] && ok=OK || ok=FAIL
check $ok "alice, as late, ignoring the ROC trailer: all refused, exit 1" \
	"exit $rc_a, skipped $(jget "$j" before_join), verified $(jget "$j" verified), refused $(jget "$j" refused)"

# ---- g. off-network (started here, reported after e.) --------------------------------
# bob and carol talk to each other's addresses on the bridge: no server, no
# mcpxd. Their neighbour entries are set by hand so that not even an ARP
# broadcast floods through s0 to mcpxd; its counters must not move. They run
# while the captures are read (e.), when nothing else crosses mcpxd.
NO=100
S_BO=b0b00f0f S_CO=ca200f0f
nsx "$NSB" ip neigh replace $C_IP lladdr "$(mac_of "$NSC")" dev eth0 nud permanent
nsx "$NSC" ip neigh replace $B_IP lladdr "$(mac_of "$NSB")" dev eth0 nud permanent
sleep 0.2
counters >"$W/c4.json"
LINGER=1000 ue_run "$NSC" carol o-carol --local $C_IP:42020 --peer $B_IP:42010 \
	--gmk "$W/gmk-carol.b64" --ssrc $S_CO --seq-start 4000 --talk $NO --rate 200 --floor \
	--talk-at 1000 --expect-senders 1 --expect-frames $NO &
pc=$!
PIDS+=("$pc")
bound "$NSC" 42020 || true
sleep 0.3	# carol reads her key after binding
LINGER=1000 ue_run "$NSB" bob o-bob --local $B_IP:42010 --peer $C_IP:42020 \
	--gmk "$W/gmk-bob.b64" --ssrc $S_BO --seq-start 5000 --talk $NO --rate 200 --floor \
	--expect-senders 1 --expect-frames $NO &
pb=$!
PIDS+=("$pb")
# ---- e. captures ----------------------------------------------------------------------
step "e. captures: plain side dissected by tshark, secure side checked octet by octet"
sleep 0.5
stop $CAP_S $CAP_P $SRV_PID
DEC=(-d "udp.port==$GM,rtp" -d "udp.port==$PM,rtp" -d "udp.port==$GF,rtcp" -d "udp.port==$PF,rtcp")
# One tshark pass (each start costs a second): per frame, the source, whether
# it is RTP, and the MCPTT floor-control subtypes when it is APP "MCPT".
tshark -r "$W/plain.pcap" "${DEC[@]}" -Y 'rtp || rtcp.app.name == "MCPT"' -T fields \
	-E separator=/t -e ip.src -e rtp.version -e rtcp.app.name -e rtcp.app.subtype \
	>"$W/plain.fields" 2>/dev/null || true
read -r n_rtp n_fc n_types < <(awk -F'\t' -v evil="$EVIL_IP" '
	$2 != "" && $1 != evil { rtp++ }
	$3 ~ /MCPT/ { fc++; if (!($4 in seen)) { seen[$4] = 1; types++ } }
	END { print rtp + 0, fc + 0, types + 0 }' "$W/plain.fields")
[ "$n_rtp" -ge $((4 * N + 2 * NP)) ] && [ "$n_fc" -ge 10 ] && ok=OK || ok=FAIL
check $ok "plain side: tshark decodes RTP and MCPTT floor control" "RTP $n_rtp, floor (APP MCPT) $n_fc, $n_types subtypes"
voice=$($PY voice-marker $U_ALICE $S_A),$($PY voice-marker $U_BOB $S_B),$($PY voice-marker $U_ALICE $S_APC),$($PY voice-marker $U_DAVE $S_DAVE)
GMKID=${GMK_APP_MKI:0:8}
mkis=$GMK_APP_MKI,$PCK_MKI,$SENDER_MKIS,$CSK_MKIS
r=$($PY secure-check "$W/secure.pcap" $GM,$PM $GF,$PF "$mkis" "$voice" $EVIL_IP) && ok=OK || ok=FAIL
check $ok "secure side: no voice bytes, no \"MCPT\", every packet ends with its MKI" \
	"UDP $(jget "$r" udp), media $(jget "$r" media) ($(jget "$r" media_mki_ok) MKI ok), floor $(jget "$r" floor) ($(jget "$r" floor_mki_ok) MKI ok), MCPT $(jget "$r" mcpt), voice $(jget "$r" voice_plain), GMK-ID $GMKID"
r=$($PY plain-check "$W/plain.pcap" $MARK $EVIL_IP) && ok=OK || ok=FAIL
check $ok "plain side: no hostile SRTP/RTP-shaped packet arrived" "$(jget "$r" rtp_shaped) of $((TOTAL_INJ - SENT[random]))"
# Not RTP-shaped UDP to a port a stream was installed with: drop_malformed on
# the secure side (docs/deployment.md), never the --unmatched policy.
[ "$(jget "$r" junk)" -eq 0 ] && [ "$(dv drop_malformed)" -ge "${SENT[random]}" ] && ok=OK || ok=FAIL
check $ok "non-RTP junk to a media port: drop_malformed, none passed" \
	"+$(dv drop_malformed) (sent ${SENT[random]}), $(jget "$r" junk) reached the server"
# Lab users' offline decryption: mcpxd's pcap mode reads the secure capture
# with the appliance's sealed store and the I_MESSAGEs the live mcpxd got (a
# streams file of MIKEY entries: no raw key), every stream of both directions
# to unprotect, and writes what it decrypted on the plain port. Each frame it
# decrypted must be one of the plain capture, byte for byte.
$PY offline-streams "$W" "$W/offline-streams.json" gmk-appliance.mikey:gmk-streams.json:0 \
	pck.mikey:pck-streams.json:1 csk-alice.mikey:csk-alice-streams.json:2 \
	csk-bob.mikey:csk-bob-streams.json:2 csk-carol.mikey:csk-carol-streams.json:2 >/dev/null
t=$(date +%s%N)
nsx "$NSD" "$MCPXD" --no-huge --no-shconf -m 512 --no-pci -l 0-1 --file-prefix "${P}o" \
	--log-level=lib.eal:error --vdev=net_pcap0,rx_pcap="$W/secure.pcap",tx_pcap="$W/offline-back.pcap" \
	--vdev=net_pcap1,tx_pcap="$W/offline-plain.pcap" -- --pair 0:1 --control none \
	--key-store "$W/appliance.store" --key-store-key-file "$W/store.key" \
	--streams "$W/offline-streams.json" --state-dir none \
	--exit-on-idle 500 --idle-sleep-us 50 >"$W/offline.log" 2>&1 && ok=OK || ok=FAIL
ms=$(( ($(date +%s%N) - t) / 1000000 ))
r=$($PY offline-check "$W/secure.pcap" "$W/offline-plain.pcap" "$W/plain.pcap" $GM,$GF,$PM,$PF \
	$EVIL_IP) || ok=FAIL
n_st=$(sed -n 's/^mcpxd: \([0-9]*\) streams installed.*/\1/p' "$W/offline.log")
check $ok "offline: mcpxd's pcap mode decrypts the secure capture (I_MESSAGEs, no key)" \
	"$(jget "$r" matched) of $(jget "$r" total) SRTP/SRTCP = plain frames byte for byte, $(jget "$r" unmatched) differ, ${n_st:-0} streams, $ms ms"
# A server copy after the first is a replay of the same ciphertext to an
# offline receiver; the replayed hostile packets are the only other replays.
# Every other verdict is the live one, but for the oversized hostile
# datagrams: the capture holds their IP fragments (drop_frag), while the live
# net_af_packet socket reassembled them (PACKET_FANOUT_FLAG_DEFRAG: drop_auth).
rp=$(sed -n 's/.*port 0 (secure).* drop_replay \([0-9]*\).*/\1/p' "$W/offline.log")
[ "$ok" = OK ] && [ "${rp:-0}" -eq $(( $(jget "$r" copies) + SENT[replayed] )) ] && ok=OK || ok=FAIL
check $ok "offline: matched + server copies (drop_replay) + hostile = all" \
	"$(jget "$r" matched) + $(jget "$r" copies) + $(jget "$r" hostile) = $(jget "$r" total), hostile out $(jget "$r" hostile_out), drop_replay ${rp:-?}"

# ---- g. off-network: the report -------------------------------------------------------
step "g. off-network: bob <-> carol peer to peer on the bridge under the GMK, floor control among themselves"
offnet() {	# offnet WHO RC PEER_SSRC: one check line for one off-network client
	local j
	j=$($PY ue-from "$W/o-$1.json" "$3") || true
	[ "$2" -eq 0 ] && [ "$(jget "$j" verified)" -ge $NO ] && [ "$(jget "$j" bad)" -eq 0 ] && ok=OK || ok=FAIL
	check $ok "$1: the peer's $NO frames verified, off-network (no server)" \
		"verified $(jget "$j" verified), bad $(jget "$j" bad), late $(jget "$j" late), gaps $(jget "$j" gaps), refused $(jget "$j" refused)"
}
rc_b=0 rc_c=0
wait $pb || rc_b=$?
wait $pc || rc_c=$?
offnet bob $rc_b 0x$S_CO
offnet carol $rc_c 0x$S_BO
fl=$(python3 - "$W/o-bob.json" "$W/o-carol.json" <<'PYX'
import json, sys
want = ["Floor Request", "Floor Taken", "Floor Release", "Floor Idle"]
res, ok = [], True
for f in sys.argv[1:]:
    try:
        c = json.load(open(f))["clients"][0]
    except Exception:
        print("no report"); sys.exit(1)
    rx, tx = c.get("floor", {}).get("received", {}), c.get("floor", {}).get("sent", {})
    ok = ok and all(rx.get(t, 0) >= 1 and tx.get(t, 0) >= 1 for t in want) \
        and c.get("floor", {}).get("mode", "off-network") != "on-network"
    res.append("%s rx %s" % (c.get("user", "?").split(":")[1].split("@")[0],
                             "/".join(str(rx.get(t, 0)) for t in want)))
print(", ".join(res) + " (Request/Taken/Release/Idle)")
sys.exit(0 if ok else 1)
PYX
) && ok=OK || ok=FAIL
check $ok "floor off-network: each sent and saw Request, Taken, Release, Idle" "$fl"
sleep 0.3
counters >"$W/c5.json"
m=$($PY counters-moved "$W/c4.json" "$W/c5.json") && ok=OK || ok=FAIL
check $ok "mcpxd's counters did not move: the traffic never crossed it" \
	"$(jget "$m" moved) counters moved$( [ $ok = OK ] || echo ": $(jget "$m" which)")"

# ---- i. GMK rekey mid-call ----------------------------------------------------------
# The GMS makes GMK2 for every member, active from ACT (a whole second, Unix
# time). mcpxd gets it as a rekey of GMK1: GMK2's receive streams at once,
# its protect streams standby until ACT, then switched between two packets;
# GMK1's streams go GRACE s later. alice holds both GMKs and talks across ACT
# (her client moves to GMK2 between two frames); bob and carol hold both and
# receive by MKI: one run of frames, no gap at the switch.
step "i. GMK rekey mid-call: GMK2 from the GMS, mcpxd switches at its activation," \
	"alice talks across it"
ip netns exec "$NSS" "$SRV" --config "$W/server.conf" --json >"$W/server-2.json" \
	2>"$W/server-2.err" &
PIDS+=($!)
SRV_PID=$!
NR=200 GRACE=2
now_ms() { echo $(($(date +%s%N) / 1000000)); }
sleep_until() {	# sleep_until UNIX_MS
	local d=$(($1 - $(now_ms)))
	[ $d -le 0 ] || sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
}
sid() {	# sid STREAMS_FILE N: the id mcpxd gave the Nth stream (from 1) of the request
	python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["streams"][int(sys.argv[2]) - 1]["id"])' "$W/$1.reply" "$2"
}
t=$(now_ms)
ACT=$(((t + 2000 + 999) / 1000))	# 2 to 3 s ahead
gmk2_step() {
	local u n=0
	keys gms gmk --store "$W/gms.store" --user $U_GMS --group sip:fire@example.org \
		--activation $ACT --member $U_ALICE --member $U_BOB --member $U_CAROL \
		--member $U_APP --member-kms $SG >"$W/gmk2.out" || return 1
	for u in alice bob carol appliance; do
		n=$((n + 2))
		sed -n "${n}p" "$W/gmk2.out" >"$W/gmk2-$u.b64"
	done
	raw_msg "$W/gmk2-appliance.b64" "$W/gmk2-appliance.mikey"
	gmk_streams gmk2.out >"$W/gmk2-streams.json"
}
gmk2_step 2>"$W/gmk2.err" && ok=OK || ok=FAIL
check $ok "GMS: GMK2 for alice, bob, carol and the appliance" \
	"activation $ACT (in $((ACT * 1000 - t)) ms), made in $(($(now_ms) - t)) ms"
ctl_install "GMK2 into mcpxd: replaces GMK1, switch at activation, grace ${GRACE} s" \
	gmk2-appliance.mikey gmk2-streams.json 0 --replaces "$GMKID" --activate-at $ACT \
	--grace $GRACE
OLD_P=$(sid gmk-streams.json 4) NEW_P=$(sid gmk2-streams.json 4)	# alice's, towards bob, carol
"${CTL[@]}" stream get "$OLD_P" >"$W/r-old0.json" 2>/dev/null || true
# the listeners linger until alice's burst (2 s) starts, 1 s before the activation
lg=$((ACT * 1000 - $(now_ms)))
LINGER=$lg ue_run "$NSB" bob r-bob --local $B_IP:42010 --server $SRV_IP:$GM \
	--gmk "$W/gmk-bob.b64" --gmk "$W/gmk2-bob.b64" --key "$W/csk-bob.b64" \
	--ssrc $S_B --expect-senders 1 --expect-frames $NR &
pb=$!
LINGER=$lg ue_run "$NSC" carol r-carol --local $C_IP:42020 --server $SRV_IP:$GM \
	--gmk "$W/gmk-carol.b64" --gmk "$W/gmk2-carol.b64" --key "$W/csk-carol.b64" \
	--ssrc $S_C --expect-senders 1 --expect-frames $NR &
pc=$!
PIDS+=("$pb" "$pc")
bound "$NSB" 42010 && bound "$NSC" 42020 || true
ta=$((ACT * 1000 - 1000 - $(now_ms)))
LINGER=500 ue_run "$NSA" alice r-alice --local $A_IP:42000 --server $SRV_IP:$GM \
	--gmk "$W/gmk-alice.b64" --gmk "$W/gmk2-alice.b64" --key "$W/csk-alice.b64" \
	--ssrc $S_A --seq-start 30000 --talk $NR --rate 100 --floor --talk-at $((ta > 0 ? ta : 0)) &
pa=$!
PIDS+=("$pa")
sleep_until $((ACT * 1000 - 250))
"${CTL[@]}" stream get "$OLD_P" >"$W/r-old.json" 2>/dev/null || true
"${CTL[@]}" stream get "$NEW_P" >"$W/r-new.json" 2>/dev/null || true
"${CTL[@]}" health >"$W/r-health1.json" 2>/dev/null || true
rc_a=0 rc_b=0 rc_c=0
wait $pa || rc_a=$?
sleep_until $(((ACT + GRACE) * 1000 + 300))
wait $pb || rc_b=$?
wait $pc || rc_c=$?
"${CTL[@]}" stream get "$NEW_P" >"$W/r-new2.json" 2>/dev/null || true
"${CTL[@]}" health >"$W/r-health2.json" 2>/dev/null || true
r=$(python3 - "$W" "$OLD_P" "$NEW_P" <<'PYX'
import json, sys
w = sys.argv[1]
def rd(f):
    try:
        return json.load(open(w + "/" + f))
    except Exception:
        return {}
o, n, h = rd("r-old.json").get("stream", {}), rd("r-new.json").get("stream", {}), rd("r-health1.json")
o0 = rd("r-old0.json").get("stream", {})
rk = h.get("rekeys", [])
fw = lambda s: s.get("verdicts", {}).get("fwd", 0)
ok = o.get("state") == "active" and fw(o) > fw(o0) and n.get("state") == "standby" and \
    fw(n) == 0 and len(rk) == 1 and not rk[0].get("switched")
print("%s|GMK1's %s (stream %s) fwd +%d, GMK2's %s (stream %s) fwd %d; rekeys %d, switched %s, streams %d"
      % ("OK" if ok else "FAIL", o.get("state"), sys.argv[2], fw(o) - fw(o0), n.get("state"), sys.argv[3], fw(n),
         len(rk), str(rk[0].get("switched")).lower() if rk else "-", h.get("streams", 0)))
PYX
)
check "${r%%|*}" "mcpxd 250 ms before: GMK1 protects, GMK2 standby, rekey pending" "${r#*|}"
eval "$(jvars a "$($PY ue-rekey "$W/r-alice.json" 0x$S_A)")"
[ $rc_a -eq 0 ] && [ "${a_switches:-0}" -eq 1 ] && [ "${a_k1_sent:-0}" -ge 1 ] &&
	[ "${a_k2_sent:-0}" -ge 1 ] && [ "${a_k2_first_sent:-0}" -eq "$a_k1_sent" ] &&
	[ $((a_k1_sent + a_k2_sent)) -eq $NR ] && ok=OK || ok=FAIL
check $ok "alice sent under GMK1, then GMK2: one switch, between two frames" \
	"GMK1 ${a_k1_key_id:-?} ${a_k1_sent:-0}, GMK2 ${a_k2_key_id:-?} ${a_k2_sent:-0} from frame ${a_k2_first_sent:--1}, switches ${a_switches:-0}"
for who in bob:$rc_b carol:$rc_c; do
	unset "${!l_@}"
	eval "$(jvars l "$($PY ue-rekey "$W/r-${who%%:*}.json" 0x$S_A)")"
	[ "${who#*:}" -eq 0 ] && [ "${l_verified:-0}" -eq $NR ] && [ "$l_gaps" -eq 0 ] &&
		[ "$l_bad" -eq 0 ] && [ "$l_late" -eq 0 ] && [ "$l_refused" -eq 0 ] &&
		[ "${l_k1_verified:-0}" -ge 1 ] && [ "${l_k2_verified:-0}" -ge 1 ] && ok=OK || ok=FAIL
	check $ok "${who%%:*}: every frame verified across the switch, not a packet lost" \
		"verified ${l_verified:-0} = GMK1 ${l_k1_verified:-0} + GMK2 ${l_k2_verified:-0}, gaps ${l_gaps:-?}, bad ${l_bad:-?}, late ${l_late:-?}, refused ${l_refused:-?}"
done
r=$(python3 - "$W" "$NEW_P" "${CTL[@]}" <<'PYX'
import json, subprocess, sys
w = sys.argv[1]
def rd(f):
    try:
        return json.load(open(w + "/" + f))
    except Exception:
        return {}
old = [s["id"] for s in rd("gmk-streams.json.reply").get("streams", [])]
h1, h2, n = rd("r-health1.json"), rd("r-health2.json"), rd("r-new2.json").get("stream", {})
left = 0    # GMK1's streams mcpxd still finds (stream.get of each id)
for i in old:
    p = subprocess.run(sys.argv[3:] + ["stream", "get", str(i)], capture_output=True)
    left += p.returncode == 0
fwd = n.get("verdicts", {}).get("fwd", 0)
ok = left == 0 and not h2.get("rekeys") and n.get("state") == "active" and fwd > 0 and \
    h2.get("streams", 0) == h1.get("streams", 0) - len(old)
print("%s|GMK1's streams left %d of %d, streams %d -> %d, rekeys %d, GMK2's protect stream %s fwd %d"
      % ("OK" if ok else "FAIL", left, len(old), h1.get("streams", 0), h2.get("streams", 0),
         len(h2.get("rekeys", [])), n.get("state"), fwd))
PYX
)
check "${r%%|*}" "after the grace: GMK1's streams gone, GMK2 protects" "${r#*|}"

# ---- k. kill -9 and restart ----------------------------------------------------------
# bob talks through the server; mcpxd protects the server's copies towards
# alice and carol under GMK2 (the appliance's sender key) and the server's
# floor control under each CSK, and is killed (-9) mid-burst. Restarted with
# the same options and --state-dir, it gets the same keys again (no
# --replaces). Then the server sends its run-1 output once more, byte for
# byte from the plain capture (the same SSRCs, SEQs and payloads: the worst
# case; a second mcpx-ue burst from the same SEQ would make bob himself repeat
# his own (key, SSRC, index)). Each protect stream must start above its
# persisted mark: SRTP on a higher ROC, SRTCP at a higher index.
step "k. kill -9 and restart: mcpxd resumes above the index marks it persisted (--state-dir)"
NK=100 SEQ_K=50000
cap_ready() {	# cap_ready ERRFILE: dumpcap says it is capturing (3 s at most)
	local i
	for i in $(seq 1 60); do
		grep -q '^Capturing on' "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
ip netns exec "$NSD" dumpcap -P -i s0 -w "$W/restart.pcap" >/dev/null 2>"$W/restart.cap" &
PIDS+=($!)
CAP_S=$!
ip netns exec "$NSS" dumpcap -P -i eth0 -w "$W/restart-plain.pcap" >/dev/null \
	2>"$W/restart-plain.cap" &
PIDS+=($!)
CAP_P=$!
cap_ready "$W/restart.cap" && cap_ready "$W/restart-plain.cap" || true
B_P=$(sid gmk2-streams.json 5)	# GMK2's protect stream of bob's media
LINGER=300 ue_run "$NSB" bob k-bob --local $B_IP:42010 --server $SRV_IP:$GM \
	--gmk "$W/gmk2-bob.b64" --key "$W/csk-bob.b64" --ssrc $S_B --seq-start $SEQ_K \
	--talk $NK --rate 100 --floor --duration 5000 &
pb=$!
PIDS+=("$pb")
fk=0
for _ in $(seq 1 100); do	# while he talks: once mcpxd has protected 25 of his frames
	fk=$(jget "$("${CTL[@]}" stream get "$B_P" 2>/dev/null || echo '{}')" stream.verdicts.fwd)
	[ "$fk" -ge 25 ] && break
	sleep 0.03
done
kill -9 "$MCPXD_PID" 2>/dev/null && ok=OK || ok=FAIL
wait "$MCPXD_PID" 2>/dev/null || true
kill -0 "$MCPXD_PID" 2>/dev/null && ok=FAIL
check $ok "kill -9 mcpxd while bob talks through it" \
	"pid $MCPXD_PID, bob's protect stream at fwd $fk when last read (copies to alice, carol)"
wait $pb || true	# his floor release never came back: not judged here
stop $SRV_PID $CAP_P
t=$(now_ms)
RUN2_T=$(date +%s.%N)	# the runs' border in the capture: the old mcpxd is gone, the new not up
mcpxd_start mcpxd-2.log
n_ok=0
for x in gmk2-appliance.mikey:gmk2-streams.json:0 csk-alice.mikey:csk-alice-streams.json:2 \
	csk-bob.mikey:csk-bob-streams.json:2 csk-carol.mikey:csk-carol-streams.json:2; do
	IFS=: read -r m f pu <<<"$x"
	"${CTL[@]}" mikey install --msg "$W/$m" --streams "$W/$f" --purpose "$pu" \
		>"$W/$f.reply2" 2>&1 && n_ok=$((n_ok + 1))
done
eval "$(jvars h "$("${CTL[@]}" health 2>/dev/null)")"
grep -q running "$MCPXD_LOG" && [ $n_ok -eq 4 ] && [ "${h_streams:-0}" -eq 11 ] &&
	[ "${h_index_marks:-0}" -ge 1 ] && ok=OK || ok=FAIL
check $ok "restarted (same options, same --state-dir), keys again, no --replaces" \
	"up and GMK2 + 3 CSKs installed in $(($(now_ms) - t)) ms, streams ${h_streams:-0}, index marks ${h_index_marks:-0}"
eval "$(jvars rp "$($PY replay "$W/restart-plain.pcap" $SRV_IP $GM,$GF count)")"
A_=${A_IP//./_} B_=${B_IP//./_} C_=${C_IP//./_}
nka=$(eval echo "\${rp_media_$A_:-0}") nkc=$(eval echo "\${rp_media_$C_:-0}")
nf=$(eval echo "\${rp_floor_$A_:-0}/\${rp_floor_$B_:-0}/\${rp_floor_$C_:-0}")
LINGER=800 ue_run "$NSA" alice k-alice --local $A_IP:42000 --server $SRV_IP:$GM --gmk "$W/gmk2-alice.b64" \
	--key "$W/csk-alice.b64" --ssrc $S_A --expect-senders 1 --expect-frames "$nka" &
pa=$!
LINGER=800 ue_run "$NSC" carol k-carol --local $C_IP:42020 --server $SRV_IP:$GM --gmk "$W/gmk2-carol.b64" \
	--key "$W/csk-carol.b64" --ssrc $S_C --expect-senders 1 --expect-frames "$nkc" &
pc=$!
PIDS+=("$pa" "$pc")
bound "$NSA" 42000 && bound "$NSC" 42020 || true
sleep 0.3	# the keys are read after the sockets are bound
ip netns exec "$NSS" $PY replay "$W/restart-plain.pcap" $SRV_IP $GM,$GF send >/dev/null &&
	ok=OK || ok=FAIL
check $ok "the server sends its run-1 output again: same SSRC, SEQs, payloads" \
	"media $nka to alice, $nkc to carol; floor $nf to alice/bob/carol"
rc_a=0 rc_c=0
wait $pa || rc_a=$?
wait $pc || rc_c=$?
stop $CAP_S
for who in alice:$rc_a:$nka carol:$rc_c:$nkc; do
	IFS=: read -r u rc n <<<"$who"
	unset "${!l_@}"
	eval "$(jvars l "$($PY ue-from "$W/k-$u.json" 0x$S_B)")"
	[ "$rc" -eq 0 ] && [ "${l_verified:-0}" -eq "$n" ] && [ "$l_bad" -eq 0 ] &&
		[ "$l_refused" -eq 0 ] && [ "${l_floor_rx_Floor_Taken:-0}" -ge 1 ] && ok=OK || ok=FAIL
	check $ok "$u: run 2 verified (its higher ROC from the RCCm3 trailer)" \
		"verified ${l_verified:-0} (frames ${l_first:-?}-${l_last:-?}), bad ${l_bad:-?}, gaps ${l_gaps:-?}, refused ${l_refused:-?}, Floor Taken ${l_floor_rx_Floor_Taken:-0}"
done
eval "$(jvars x "$($PY index-check "$W/restart.pcap" $SRV_IP $GM $GF "$RUN2_T")")"
[ "${x_repeat_across:-1}" -eq 0 ] && [ "$x_repeat_within" -eq 0 ] && [ "$x_media1" -ge 1 ] &&
	[ "$x_media2" -ge 1 ] && [ "$x_floor1" -ge 1 ] && [ "$x_floor2" -ge 1 ] && ok=OK || ok=FAIL
check $ok "no (MKI, SSRC, index) of mcpxd's in both runs" \
	"run 1: media ${x_media1:-0}, floor ${x_floor1:-0}; run 2: media ${x_media2:-0}, floor ${x_floor2:-0}; repeated ${x_repeat_across:-?}, copies ${x_copies:-?}"
[ "${x_ok:-false}" = true ] && ok=OK || ok=FAIL
check $ok "run 2 starts above run 1: SRTP on a higher ROC, SRTCP higher" \
	"SRTP $(printf 0x%x "${x_media_max1:-0}") -> $(printf 0x%x "${x_media_min2:-0}") (ROC $((x_media_max1 >> 16)) -> $((x_media_min2 >> 16))), SRTCP ${x_floor_max1:-?} -> ${x_floor_min2:-?} (${x_floor_keys:-0} CSKs)"
nb=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1]))["clients"][0]["sent"]["frames"])
except Exception: print(0)' "$W/k-bob.json")
lost=$((nb - nka))
[ "$nka" -ge 1 ] && [ $lost -ge 1 ] && ok=OK || ok=FAIL
check $ok "lost around the kill (bob's frames the server never got)" \
	"bob sent $nb, the server forwarded $nka, lost $lost while mcpxd was down"

# ---- summary --------------------------------------------------------------------------
ns_stop "$NSD"
step "mcpxd at exit:"
grep -E '^  port|^mcpxd: rx' "$MCPXD_LOG" | sed 's/^/  /' || true
secs=$(( ($(date +%s%N) - T0) / 1000000 ))
if [ $FAILED -eq 0 ]; then
	printf '\nPASSED: %d checks in %d.%03d s\n' $NCHECK $((secs / 1000)) $((secs % 1000))
	exit 0
fi
# What a failure needs to be understood where the files are gone (CI): every
# client's figures, the last lines of every error output, mcpxd's and the server's.
step "diagnostics (a check failed):"
for f in "$W"/?-*.json; do
	[ -f "$f" ] || continue
	sum=$(ue_summary "$f")
	[ "$sum" = "no report" ] || printf '  %-14s %s\n' "$(basename "$f" .json)" "$sum"
done
for f in "$W"/*.err "$W"/mcpxd*.log; do
	[ -s "$f" ] || continue
	printf '  -- %s (last lines)\n' "$(basename "$f")"
	tail -n 8 "$f" | sed 's/^/     /'
done
printf '\nFAILED: %d of %d checks in %d.%03d s\n' $FAILED $NCHECK $((secs / 1000)) $((secs % 1000))
exit 1
