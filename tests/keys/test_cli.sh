#!/usr/bin/env bash
# mcpx-keys end to end: a KMS, a Security Gateway KMS, cross-imported
# certificates, key sets imported and validated, every primitive, and each
# failure as one line with its exit status. Usage: test_cli.sh MCPX_KEYS
set -u
K=$(realpath "$1")
. "$(dirname "$0")/../common/clitest.sh"

export MCPX_PASSPHRASE="kms one"
expect 0 "kms init" -- "$K" kms init --state kms.state --uri kms.example.org --period 2592000
expect 1 "kms init over an existing state" -- "$K" kms init --state kms.state --uri x
one_line "exists"
expect 0 "kms cert" -- "$K" kms cert --state kms.state -o cert.xml
expect 0 "kms issue alice" -- "$K" kms issue --state kms.state --user sip:alice@example.org -o alice.xml
expect 0 "kms issue bob" -- "$K" kms issue --state kms.state --user sip:bob@example.org -o bob.xml
expect 2 "kms issue without --out" -- "$K" kms issue --state kms.state --user sip:x@example.org
expect 1 "kms cert, wrong passphrase" -- env MCPX_PASSPHRASE=nope "$K" kms cert --state kms.state
one_line "wrong passphrase"

# A Security Gateway domain, as the appliance has (TS 33.180 Annex L)
export MCPX_PASSPHRASE="gateway"
expect 0 "sg kms init" -- "$K" kms init --state sg.state --uri sg.example.net --security-gateway
expect 0 "sg kms cert" -- "$K" kms cert --state sg.state -o sg-cert.xml
grep -q 'IsSecurityGateway="true"' sg-cert.xml && ok || bad "SG flag missing"
expect 0 "sg issue dave" -- "$K" kms issue --state sg.state --user sip:dave@plain.example.net -o dave.xml

# alice's store: her KMS, the gateway's as cross-signed external
export MCPX_PASSPHRASE="alice"
expect 0 "store init" -- "$K" store init --store alice.store
[ "$(stat -c %a alice.store)" = 600 ] && ok || bad "store mode is not 0600"
expect 1 "key set before its certificate" -- "$K" store import --store alice.store alice.xml
one_line "no certificate for KMS kms.example.org"
expect 0 "import" -- "$K" store import --store alice.store cert.xml alice.xml
expect 0 "import the gateway, cross-signed" -- "$K" store import --store alice.store --cross-signed sg-cert.xml
expect 0 "list" -- "$K" --json store list --store alice.store
grep -q '"cross_signed":true' out.txt && grep -q '"security_gateway":true' out.txt && ok ||
	bad "gateway certificate flags: $(cat out.txt)"
grep -qi 'ssk\|rsk' out.txt && bad "list shows key material" || ok

# tampered key set: one hex digit of the SSK changed -> refused, store unchanged
python3 - alice.xml tampered.xml <<'PY'
import re, sys
s = open(sys.argv[1]).read()
m = re.search(r"<UserSigningKeySSK>([0-9a-f]+)<", s)
h = m.group(1)
h2 = ("0" if h[0] != "0" else "1") + h[1:]
open(sys.argv[2], "w").write(s.replace(h, h2))
PY
cp alice.store before.store
expect 1 "tampered key set" -- "$K" store import --store alice.store tampered.xml
one_line "key material failed validation"
cmp -s alice.store before.store && ok || bad "a refused import changed the store"
# past ValidTo (Annex D.3): refused, store unchanged; a key set from a time to come: imported;
# a certificate must be in force (it replaces the KMS's trust anchor)
sed 's|<UserIdFormat>|<ValidTo>2001-01-01T00:00:00</ValidTo><UserIdFormat>|' cert.xml >expired-cert.xml
expect 1 "an expired KMS certificate" -- "$K" store import --store alice.store expired-cert.xml
one_line "outside its validity period"
cmp -s alice.store before.store && ok || bad "a refused certificate changed the store"
sed 's|<KeyPeriodNo>|<ValidTo>2001-01-01T00:00:00Z</ValidTo><KeyPeriodNo>|' alice.xml >old-alice.xml
expect 1 "a key set whose ValidTo has passed" -- "$K" store import --store alice.store old-alice.xml
one_line "outside its validity period"
cmp -s alice.store before.store && ok || bad "a refused key set changed the store"
sed 's|<KeyPeriodNo>|<ValidFrom>2100-01-01T00:00:00Z</ValidFrom><KeyPeriodNo>|' alice.xml >early-alice.xml
expect 0 "a key set valid from a time to come (the next period's, fetched ahead)" -- \
	"$K" store import --store alice.store early-alice.xml
sed 's|<UserIdFormat>|<ValidFrom>2100-01-01T00:00:00Z</ValidFrom><UserIdFormat>|' cert.xml >early-cert.xml
expect 1 "a certificate not yet in force (it would replace the KMS's trust anchor)" -- \
	"$K" store import --store alice.store early-cert.xml
one_line "outside its validity period"
sed 's|<UserIdFormat>|<ValidFrom>2001-01-01T00:00:00Z</ValidFrom><ValidTo>2100-01-01T00:00:00Z</ValidTo><UserIdFormat>|' cert.xml >dated-cert.xml
expect 0 "a certificate in force" -- "$K" store import --store alice.store dated-cert.xml
expect 1 "the same, with the clock past ValidTo" -- "$K" --at 4102444801 store import --store alice.store dated-cert.xml
one_line "outside its validity period"
expect 1 "an empty file" -- "$K" store import --store alice.store /dev/null
# a tampered store file
cp alice.store broken.store
printf '\x01' | dd of=broken.store bs=1 seek=100 conv=notrunc 2>/dev/null
expect 1 "tampered store" -- "$K" store list --store broken.store
one_line "altered"

# ECCSI
echo "an I_MESSAGE, say" >msg
expect 0 "eccsi sign" -- "$K" eccsi sign --store alice.store --user sip:alice@example.org --kms kms.example.org --in msg -o sig
expect 0 "eccsi verify" -- "$K" eccsi verify --store alice.store --signer sip:alice@example.org --kms kms.example.org --in msg --sig sig
echo "another message" >msg2
expect 1 "eccsi verify, other message" -- "$K" eccsi verify --store alice.store --signer sip:alice@example.org --kms kms.example.org --in msg2 --sig sig
one_line "did not verify"
expect 1 "eccsi verify, other signer" -- "$K" eccsi verify --store alice.store --signer sip:bob@example.org --kms kms.example.org --in msg --sig sig
expect 1 "eccsi sign without a key set" -- "$K" eccsi sign --store alice.store --user sip:bob@example.org --kms kms.example.org --in msg

# SAKKE: alice encrypts to dave in the gateway's domain; dave's store opens it
expect 0 "sakke encap to dave" -- "$K" sakke encap --store alice.store --to sip:dave@plain.example.net --kms sg.example.net -o ed --ssv-out ssv.sent
export MCPX_PASSPHRASE="appliance"
expect 0 "appliance store" -- "$K" store init --store sg.store
expect 0 "appliance imports" -- "$K" store import --store sg.store sg-cert.xml dave.xml
expect 0 "sakke decap as dave" -- "$K" sakke decap --store sg.store --user sip:dave@plain.example.net --in ed --ssv-out ssv.got
cmp -s ssv.sent ssv.got && ok || bad "SSV differs"
printf '\x00' | dd of=ed bs=1 seek=200 conv=notrunc 2>/dev/null
expect 1 "sakke decap, tampered" -- "$K" sakke decap --store sg.store --user sip:dave@plain.example.net --in ed

# MIKEY-SAKKE through the CLI: a GMS in the MC domain, a PCK and a CSK to the appliance
export MCPX_PASSPHRASE="kms one"
expect 0 "issue gms" -- "$K" kms issue --state kms.state --user gms@example.org -o gms.xml
export MCPX_PASSPHRASE="gateway"
expect 0 "issue the server's MDSI" -- "$K" kms issue --state sg.state --user mdsi.plain.example.net -o mdsi.xml
export MCPX_PASSPHRASE="appliance"
expect 0 "appliance takes the MDSI and the MC domain's certificate" -- "$K" store import --store sg.store mdsi.xml
expect 0 "appliance trusts the MC KMS" -- "$K" store import --store sg.store --cross-signed cert.xml
export MCPX_PASSPHRASE="alice"
expect 0 "GMS keys in alice's store" -- "$K" store import --store alice.store gms.xml bob.xml
expect 0 "gms gmk" -- "$K" gms gmk --store alice.store --user gms@example.org --group sip:g1@example.org --member sip:alice@example.org --member sip:bob@example.org --member sip:dave@plain.example.net --member-kms sg.example.net
[ "$(grep -c '^a=key-mgmt:mikey ' out.txt)" -eq 3 ] && ok || bad "gms gmk: $(cat out.txt)"
sed -n 2p out.txt >gmk-alice
sed -n 6p out.txt >gmk-dave
expect 0 "mikey dump, no store" -- "$K" mikey dump gmk-alice
grep -q "^SIGN" out.txt && grep -q "^SAKKE" out.txt && ok || bad "dump: $(cat out.txt)"
expect 0 "alice opens her GMK" -- "$K" --json mikey dump --store alice.store --user sip:alice@example.org gmk-alice
grep -q '"opened":true' out.txt && grep -q '"roc_rate":1' out.txt && ok || bad "open: $(cat out.txt)"
# E.6 times above what 40 bits since 1900 hold: a usage error, nothing sent
expect 2 "gms gmk, --expiry 2^64-1" -- "$K" gms gmk --store alice.store --user gms@example.org --expiry 18446744073709551615 --member sip:alice@example.org
one_line "at most 1097302638975"
expect 2 "gms gmk, --expiry 2^63" -- "$K" gms gmk --store alice.store --user gms@example.org --expiry 9223372036854775808 --member sip:alice@example.org
expect 2 "gms gmk, --activation 2^63" -- "$K" gms gmk --store alice.store --user gms@example.org --activation 9223372036854775808 --member sip:alice@example.org
expect 2 "gms gmk, --expiry one past the 40-bit limit" -- "$K" gms gmk --store alice.store --user gms@example.org --expiry 1097302638976 --member sip:alice@example.org
expect 0 "gms gmk, --expiry at the 40-bit limit" -- "$K" gms gmk --store alice.store --user gms@example.org --expiry 1097302638975 --member sip:alice@example.org
expect 1 "bob cannot open alice's" -- "$K" mikey dump --store alice.store --user sip:bob@example.org gmk-alice
one_line "refused"
export MCPX_PASSPHRASE="appliance"
expect 0 "the appliance opens dave's GMK, marked shared with the gateway" -- "$K" --json mikey dump --store sg.store --user sip:dave@plain.example.net gmk-dave
grep -q '"shared_with_segy":true' out.txt && ok || bad "segy flag: $(cat out.txt)"
export MCPX_PASSPHRASE="alice"
expect 0 "pck to dave" -- "$K" pck --store alice.store --user sip:alice@example.org --to sip:dave@plain.example.net --to-kms sg.example.net
sed -n 2p out.txt >pck
expect 0 "csk to the server" -- "$K" csk --store alice.store --user sip:alice@example.org --to mdsi.plain.example.net --to-kms sg.example.net
sed -n 2p out.txt >csk
export MCPX_PASSPHRASE="appliance"
expect 0 "the appliance opens the PCK" -- "$K" --json mikey dump --store sg.store pck
grep -q '"purpose":1' out.txt && ok || bad "pck: $(cat out.txt)"
expect 0 "the appliance opens the CSK" -- "$K" --json mikey dump --store sg.store csk
grep -q '"purpose":2' out.txt && ok || bad "csk: $(cat out.txt)"
sed 's/\(a=key-mgmt:mikey ....................\)./\1A/' pck >pck-bad
cmp -s pck pck-bad && sed 's/\(a=key-mgmt:mikey ....................\)./\1B/' pck >pck-bad
expect 1 "a tampered PCK" -- "$K" mikey dump --store sg.store pck-bad
expect 1 "not a message" -- "$K" mikey dump msg
# hidden IDs (33.180 E.7): the initiator's URI comes from the signalling, as --initiator
export MCPX_PASSPHRASE="alice"
expect 0 "pck to dave, IDs hidden" -- "$K" pck --store alice.store --user sip:alice@example.org --to sip:dave@plain.example.net --to-kms sg.example.net --hide-ids
sed -n 2p out.txt >pck-hidden
export MCPX_PASSPHRASE="appliance"
expect 1 "a hidden initiator, none expected" -- "$K" --json mikey dump --store sg.store pck-hidden
one_line "hidden initiator is none of those expected"
grep -q '"reject":"UNKNOWN_INITIATOR"' out.txt && ok || bad "reject: $(cat out.txt)"
expect 1 "a hidden initiator, another expected" -- "$K" mikey dump --store sg.store --initiator sip:bob@example.org pck-hidden
one_line "hidden initiator is none of those expected"
expect 0 "a hidden initiator, expected" -- "$K" --json mikey dump --store sg.store --initiator sip:bob@example.org --initiator sip:alice@example.org pck-hidden
grep -q '"initiator":"sip:alice@example.org"' out.txt && grep -q '"initiator_hidden":true' out.txt &&
	ok || bad "hidden pck: $(cat out.txt)"

# UID vector (digest §1.4, first row) through the CLI
expect 0 "id uid" -- "$K" id uid --user sip:user@example.org --kms kms.example.org --period 2592000 --offset 0 --period-no 1388
grep -q 3a81fb14c3b1d0fe43c9c577104d55a6d81788bfd2f09743c4557746a5a0353b out.txt && ok || bad "UID: $(cat out.txt)"

expect 2 "unknown command" -- "$K" frobnicate
expect 0 "help" -- "$K" --help
clitest_done
