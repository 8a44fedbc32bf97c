# Shared by the command-line walks (tests/*/test_*.sh): a scratch folder that
# is removed on exit, pass/fail counts, and checks on the last command run.
# Source it after setting nothing; call clitest_done last.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect STATUS description -- command...: run it, output in out.txt/err.txt
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >out.txt 2>err.txt
	local got=$?
	if [ "$got" -eq "$want" ]; then ok; else
		bad "$what: exit $got, want $want: $(head -c 2000 err.txt) $(head -c 2000 out.txt)"; fi
}
# the last command's stdout contains TEXT
has() { if grep -q -- "$1" out.txt; then ok; else bad "output lacks '$1': $(head -c 3000 out.txt)"; fi; }
# the last command's stderr is one line containing TEXT
one_line() {
	if [ "$(wc -l <err.txt)" -eq 1 ] && grep -q -- "$1" err.txt; then ok; else
		bad "stderr should be one line with '$1': $(cat err.txt)"; fi
}
# the closing line the CI counts; the exit status says whether all held
clitest_done() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
