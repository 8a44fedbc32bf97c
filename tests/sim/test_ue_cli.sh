#!/usr/bin/env bash
# mcpx-ue end to end: mcpx-keys makes a KMS and the members' stores, a helper
# runs the GMS, and one mcpx-ue process runs three clients on loopback:
# group media and off-network floor control under the GMK, a late joiner that
# ignores the ROC trailer (exit 1), a private call under a PCK with --key-out,
# usage errors (exit 2). Usage: test_ue_cli.sh MCPX_KEYS MCPX_UE GMS_HELPER
set -u
K=$(realpath "$1")
UE=$(realpath "$2")
G=$(realpath "$3")
. "$(dirname "$0")/../common/clitest.sh"

export MCPX_PASSPHRASE="ue test"
A=sip:alice@example.org B=sip:bob@example.org C=sip:carol@example.org GMS=sip:gms@example.org
"$K" kms init --state kms.state --uri kms.example.org >/dev/null || bad "kms init"
"$K" kms cert --state kms.state -o cert.xml || bad "kms cert"
for u in alice bob carol gms; do
	"$K" kms issue --state kms.state --user "sip:$u@example.org" -o "$u.xml" || bad "issue $u"
	"$K" store init --store "$u.store" >/dev/null || bad "store $u"
	"$K" store import --store "$u.store" cert.xml "$u.xml" >/dev/null || bad "import $u"
done
expect 0 "GMS run" -- "$G" gms.store "$GMS" sip:fire@example.org \
	"$A" alice.gmk "$B" bob.gmk b64 "$C" carol.gmk

base=$((20000 + RANDOM % 20000))
pa=$base pb=$((base + 10)) pc=$((base + 20))
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
