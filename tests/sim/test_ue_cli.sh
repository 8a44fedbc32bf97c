#!/usr/bin/env bash
# mcpx-ue end to end: mcpx-keys makes a KMS and the members' stores, a helper
# runs the GMS, and one mcpx-ue process runs three clients on loopback:
# group media and off-network floor control under the GMK, a late joiner that
# ignores the ROC trailer (exit 1), a private call under a PCK with --key-out,
# a CSK upload to a client acting as the server's MDSI with floor control under
# the CSK (and the same CSK refused by someone else), a GMK rekey mid-call (GMK2
# from mcpx-keys gms gmk --activation; a member without it exits 1), the run's deadline,
# usage errors (exit 2). Usage: test_ue_cli.sh MCPX_KEYS MCPX_UE GMS_HELPER
set -u
K=$(realpath "$1")
UE=$(realpath "$2")
G=$(realpath "$3")
. "$(dirname "$0")/../common/clitest.sh"

export MCPX_PASSPHRASE="ue test"
A=sip:alice@example.org B=sip:bob@example.org C=sip:carol@example.org GMS=sip:gms@example.org
M=mdsi.example.org
"$K" kms init --state kms.state --uri kms.example.org >/dev/null || bad "kms init"
"$K" kms cert --state kms.state -o cert.xml || bad "kms cert"
for u in alice bob carol gms mdsi; do
	uri="sip:$u@example.org"
	[ "$u" = mdsi ] && uri=$M
	"$K" kms issue --state kms.state --user "$uri" -o "$u.xml" >/dev/null || bad "issue $u"
	"$K" store init --store "$u.store" >/dev/null || bad "store $u"
	"$K" store import --store "$u.store" cert.xml "$u.xml" >/dev/null || bad "import $u"
done
expect 0 "GMS run" -- "$G" gms.store "$GMS" sip:fire@example.org \
	"$A" alice.gmk "$B" bob.gmk b64 "$C" carol.gmk "$M" mdsi.gmk

base=$((20000 + RANDOM % 20000))
pa=$base pb=$((base + 10)) pc=$((base + 20)) pm=$((base + 30))
L=127.0.0.1
common=(--duration 20000 --linger 300)
alice=(--store alice.store --user "$A" --local "$L:$pa" --peer "$L:$pb" --peer "$L:$pc"
	--gmk alice.gmk)
bob=(--store bob.store --user "$B" --local "$L:$pb" --peer "$L:$pa" --peer "$L:$pc" --gmk bob.gmk)
carol=(--store carol.store --user "$C" --local "$L:$pc" --peer "$L:$pa" --peer "$L:$pb"
	--gmk carol.gmk)

expect 0 "group call, floor under the GMK" -- "$UE" --json "${common[@]}" \
	"${alice[@]}" --talk 300 --rate 0 --floor --floor-wait 50 -- \
	"${bob[@]}" --expect-senders 1 --expect-frames 300 -- \
	"${carol[@]}" --expect-senders 1 --expect-frames 300
has '"ok":true'
has '"profile":"AEAD_AES_128_GCM","rcc_r":1'
has '"Floor Taken":1'
has '"Floor Idle":1'
has '"verified":300'

expect 0 "human report" -- "$UE" "${common[@]}" "${alice[@]}" --talk 20 --rate 0 -- \
	"${bob[@]}" --expect-frames 20 -- "${carol[@]}" --expect-frames 20
has 'all checks held'
has 'verified'

# A late joiner after the SEQ wrap: with the trailer it passes, without it fails (1).
expect 0 "late joiner" -- "$UE" --json "${common[@]}" \
	"${alice[@]}" --talk 600 --rate 0 --seq-start 65300 -- \
	"${bob[@]}" --expect-frames 600 -- "${carol[@]}" --join-after 400 --expect-frames 200
has '"before_join":400'
expect 1 "late joiner ignoring the ROC trailer" -- "$UE" --json "${common[@]}" \
	"${alice[@]}" --talk 600 --rate 0 --seq-start 65300 -- \
	"${bob[@]}" --expect-frames 600 -- "${carol[@]}" --join-after 400 --ignore-roc
has '"ok":false'
has '"drop_auth":200'

# A private call: alice makes the PCK for bob; both talk, floor under the PCK.
expect 0 "private call" -- "$UE" --json "${common[@]}" \
	--store alice.store --user "$A" --local "$L:$pa" --peer "$L:$pb" --call "$B" \
	--key-out pck.b64 --talk 100 --rate 0 --floor --floor-wait 50 --expect-frames 100 -- \
	--store bob.store --user "$B" --local "$L:$pb" --peer "$L:$pa" --talk 100 --rate 0 \
	--floor --floor-wait 50 --talk-at 100 --expect-frames 100
has '"key":"pck"'
has '"offer_acked":true'
[ -s pck.b64 ] && ok || bad "no --key-out file"
# The PCK file opens for bob (callee), not for carol.
expect 0 "PCK file for the callee" -- "$UE" "${common[@]}" --store bob.store --user "$B" \
	--key pck.b64
expect 1 "PCK file for someone else" -- "$UE" "${common[@]}" --store carol.store --user "$C" \
	--key pck.b64
grep -q NOT_RECIPIENT err.txt && ok || bad "no reason given: $(cat err.txt)"
# A PCK whose sender hides itself (IDRuidi): bob opens it only when told to expect alice.
"$K" pck --store alice.store --user "$A" --to "$B" --hide-ids >pck-hidden.txt || bad "pck --hide-ids"
expect 1 "hidden sender, none expected" -- "$UE" "${common[@]}" --store bob.store --user "$B" \
	--key pck-hidden.txt
grep -q UNKNOWN_INITIATOR err.txt && ok || bad "hidden, none expected: $(cat err.txt)"
expect 1 "hidden sender, another expected" -- "$UE" "${common[@]}" --store bob.store \
	--user "$B" --initiator "$C" --key pck-hidden.txt
expect 0 "hidden sender, expected" -- "$UE" "${common[@]}" --store bob.store --user "$B" \
	--initiator "$C" --initiator "$A" --key pck-hidden.txt

# A CSK upload on the signalling side channel to a client whose identity is the
# server's MDSI: it opens it and ACKs, both hold the CSK, and floor control both
# ways runs as SRTCP under it (MKI = the 4-octet CSK-ID, purpose tag 2), each
# side verifying the other's; media stays under the GMK (a CSK never protects SRTP).
csk_check() {
	python3 - "$1" out.txt <<'PY'
import json, sys
side = sys.argv[1]
r = json.load(open(sys.argv[2]))
assert len(r["clients"]) == 2, "two clients"
for c in r["clients"]:
    if side == "refused" and c["user"] != "sip:alice@example.org":
        continue
    csk = [s for s in c["sessions"] if s["key"] == "csk"]
    if side == "refused":
        assert not c["ok"] and not c["signalling"]["offer_acked"], c
        assert "refused our key" in c["failed"] and "NOT_RECIPIENT" in c["failed"], c["failed"]
        continue
    assert len(csk) == 1, (c["user"], "no csk session")
    s = csk[0]
    assert s["key_id"] >> 28 == 2, ("CSK-ID purpose tag", hex(s["key_id"]))
    assert s["mki"] == "%08x" % s["key_id"], ("MKI is the CSK-ID", s["mki"])
    assert s["srtp_rx"] == {}, ("no media under the CSK", s["srtp_rx"])
    fl = c["floor"]
    n = sum(fl["received"].values())
    assert n >= 4 and s["srtcp_rx"] == {"fwd": n} == {"fwd": c["received"]["floor"]}, \
        ("every floor message verified under the CSK", s["srtcp_rx"], fl["received"])
    assert fl["sent"].get("Floor Taken") == 1 and fl["received"].get("Floor Taken") == 1, fl
    assert [x["ssrc"] for x in s["senders"] if x["proto"] == "srtcp"] == \
        [o["ssrc"] for o in r["clients"] if o is not c], s["senders"]
    g = [x for x in c["sessions"] if x["key"] == "gmk"]
    assert len(g) == 1 and g[0]["srtcp_rx"] == {}, "floor under the GMK"
    assert s["initiator"] == (c["user"] == "sip:alice@example.org"), s
a = r["clients"][0]
if side == "both":
    assert a["signalling"]["offer_acked"] and r["clients"][1]["signalling"]["keys"] == 1
    assert r["clients"][0]["sessions"][-1]["key_id"] == r["clients"][1]["sessions"][-1]["key_id"]
PY
}
csk_alice=(--store alice.store --user "$A" --local "$L:$pa" --gmk alice.gmk --csk "$M")
expect 0 "CSK upload to the MDSI, floor under the CSK" -- "$UE" --json "${common[@]}" \
	"${csk_alice[@]}" --peer "$L:$pm" --key-out csk.b64 --talk 50 --rate 0 --floor \
	--floor-wait 50 --expect-frames 50 -- \
	--store mdsi.store --user "$M" --local "$L:$pm" --peer "$L:$pa" --gmk mdsi.gmk \
	--talk 50 --rate 0 --floor --floor-wait 50 --talk-at 300 --expect-frames 50
has '"key":"csk"'
csk_check both && ok || bad "CSK session: $(head -c 3000 out.txt)"
[ -s csk.b64 ] && ok || bad "no --key-out file for the CSK"
expect 0 "CSK file for the MDSI" -- "$UE" "${common[@]}" --store mdsi.store --user "$M" \
	--key csk.b64
has 'csk '
# Offered to someone who is not the MDSI: NAK, and the sender fails within a bound.
t0=$SECONDS
expect 1 "CSK offered to bob" -- timeout 15 "$UE" --json "${common[@]}" \
	"${csk_alice[@]}" --peer "$L:$pb" -- \
	--store bob.store --user "$B" --local "$L:$pb" --peer "$L:$pa" --gmk bob.gmk
[ $((SECONDS - t0)) -le 5 ] && ok || bad "CSK NAK took $((SECONDS - t0)) s"
has '"refused":1'
csk_check refused && ok || bad "CSK refusal: $(head -c 3000 out.txt)"
# The repro that used to spin: a talker whose only key is a CSK fails in bounded time.
t0=$SECONDS
expect 1 "talking with only a CSK" -- timeout 15 "$UE" "${common[@]}" \
	--store alice.store --user "$A" --local "$L:$pa" --peer "$L:$pm" --csk "$M" --talk 5 -- \
	--store mdsi.store --user "$M" --local "$L:$pm" --peer "$L:$pa"
[ $((SECONDS - t0)) -le 9 ] && ok || bad "CSK-only talker took $((SECONDS - t0)) s"
has 'no media key (GMK or PCK) within 5000 ms'
# The overall deadline: not done at --duration is a failure, said on stderr.
t0=$SECONDS
expect 1 "deadline" -- timeout 15 "$UE" --duration 700 --store alice.store --user "$A" \
	--local "$L:$pa" --peer "$L:$pm" --talk 5
[ $((SECONDS - t0)) -le 3 ] && ok || bad "deadline took $((SECONDS - t0)) s"
one_line 'deadline: not done after --duration 700 ms: waiting for a media key'

# A GMK rekey mid-call: GMK2 from mcpx-keys (its "# ..." line and all) active from
# T0 + 1 (--activation takes Unix seconds); the clients' clock is --at T0 plus the time
# run. alice's 200 frames at 100/s move to GMK2 between two frames, bob verifies every
# one as one run (no gap) under both keys; carol without GMK2 loses those after it (1).
t0=$(date +%s)
"$K" gms gmk --store gms.store --user "$GMS" --group sip:fire@example.org \
	--activation $((t0 + 1)) --member "$A" --member "$B" --member "$C" >gmk2.txt || bad "gmk2"
for u in alice bob carol; do	# one GMK, one message each: "# GMK for URI..." and its line
	grep -A1 "^# GMK for sip:$u@" gmk2.txt >"$u.gmk2"
done
rekey=(--json --at "$t0" "${common[@]}" "${alice[@]}" --gmk alice.gmk2 --talk 200 --rate 100
	--floor --floor-wait 50)
rekey_check() {
	python3 - "$1" out.txt "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
a, b, c = r["clients"]
k = a["keys"]
assert len(k) == 2 and a["key_switches"] == 1, (k, a["key_switches"])
assert k[0]["sent"] > 0 and k[1]["sent"] > 0 and k[0]["sent"] + k[1]["sent"] == 200, k
assert k[0]["first_sent"] == 0 and k[1]["first_sent"] == k[0]["sent"], k
assert k[1]["sending_from_ms"] >= 1000 and k[1]["sending"] and not k[0]["sending"], k
assert k[1]["activation"] == int(sys.argv[3]) + 1, k
assert k[1]["key_id"] != k[0]["key_id"], k
for x in [b, c] if sys.argv[1] == "both" else [b]:
    m = x["media_from"]
    assert x["ok"] and len(m) == 1 and m[0]["verified"] == 200 and m[0]["gaps"] == 0, m
    assert [y["verified"] for y in x["keys"]] == [y["sent"] for y in k], x["keys"]
if sys.argv[1] == "without":
    m = c["media_from"]
    assert not c["ok"] and m[0]["verified"] == k[0]["sent"], (c["failed"], m)
    assert c["keys"][0]["refused"] == k[1]["sent"], c["keys"]
    assert c["sessions"][0]["srtp_rx"]["drop_noctx"] == k[1]["sent"], c["sessions"]
PY
}
expect 0 "GMK rekey mid-call, no frame lost" -- "$UE" "${rekey[@]}" -- \
	"${bob[@]}" --gmk bob.gmk2 --expect-senders 1 --expect-frames 200 -- \
	"${carol[@]}" --gmk carol.gmk2 --expect-senders 1 --expect-frames 200
rekey_check both "$t0" && ok || bad "rekey: $(head -c 3000 out.txt)"
has '"key_switches":1'
expect 1 "GMK rekey, a member without GMK2" -- "$UE" "${rekey[@]}" -- \
	"${bob[@]}" --gmk bob.gmk2 --expect-senders 1 --expect-frames 200 -- \
	"${carol[@]}" --expect-senders 1 --expect-frames 200
rekey_check without "$t0" && ok || bad "rekey without GMK2: $(head -c 3000 out.txt)"

# Usage and run-time errors.
expect 0 "--help" -- "$UE" --help
has 'usage: mcpx-ue'
expect 2 "no arguments" -- "$UE"
expect 2 "unknown option" -- "$UE" --store a --user b --frobnicate
expect 2 "bad number" -- "$UE" --store a --user b --talk many
expect 2 "--call without a peer" -- "$UE" --store alice.store --user "$A" --call "$B"
expect 2 "no secret" -- env -u MCPX_PASSPHRASE "$UE" --store alice.store --user "$A"
expect 1 "wrong passphrase" -- env MCPX_PASSPHRASE=nope "$UE" --store alice.store --user "$A"
expect 1 "unknown user" -- "$UE" --store alice.store --user sip:nobody@example.org

clitest_done
