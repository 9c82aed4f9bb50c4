#!/usr/bin/env bash
# test_lscactl.sh - every lscactl verb against a private lscad: human and
# --json output, exit codes; enable/disable under a temp --root, preload
# against a temp file (systemd is not PID 1 here: its steps are skipped).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

scratch
export LSCA_CONTROL=$WORK/lscad.ctl NO_COLOR=1
passed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
# json FILE EXPR: evaluate a python expression over the parsed JSON in j
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
# st CMD...: run CMD, its exit status in r
st() { "$@" && r=0 || r=$?; }

# --- lscad not running: status says so, exit 3 like systemctl ---
st "$LSCACTL" status >"$WORK/out" 2>&1; [ "$r" = 3 ] || fail "status without lscad: not 3"
grep -q 'inactive' "$WORK/out" || fail "status without lscad: $(cat "$WORK/out")"
st "$LSCACTL" status --json >"$WORK/out.json"; [ "$r" = 3 ] || fail "status --json without lscad"
[ "$(json "$WORK/out.json" 'j["running"]')" = False ] || fail "not running: $(cat "$WORK/out.json")"
for verb in clients plugins stats reload; do
	st "$LSCACTL" "$verb" 2>/dev/null >/dev/null; [ "$r" = 3 ] || fail "$verb without lscad: not 3"
done
st "$LSCACTL" status --bogus 2>/dev/null; [ "$r" = 2 ] || fail "bad option: not 2"
st "$LSCACTL" stats --now 2>/dev/null; [ "$r" = 2 ] || fail "option of another verb: not 2"
st "$LSCACTL" clients extra 2>/dev/null; [ "$r" = 2 ] || fail "extra argument: not 2"
ok "without lscad: status 3 (human and json), others 3, usage 2"

# --- a private lscad and a client that keeps calling ---
# shellcheck disable=SC2119 # no extra options
start_lscad
for _ in $(seq 100); do [ -S "$LSCA_CONTROL" ] && break; sleep 0.05; done
printf 'data\n' >"$WORK/file"
# the interpreter itself, not a wrapper script (pyenv) that would attach too
py=$(python3 -c 'import sys; print(sys.executable)')
LD_PRELOAD="$SHIM" LSCA_SOCKET="$LSCA_SOCK" "$py" -c '
import sys, time
for _ in range(600):
    open(sys.argv[1]).read()
    time.sleep(0.01)
' "$WORK/file" &
client=$!
for _ in $(seq 100); do
	"$LSCACTL" clients --json >"$WORK/clients.json"
	[ "$(json "$WORK/clients.json" 'sum(c["calls"] for c in j if c["pid"] == '"$client"')')" -gt 20 ] && break
	sleep 0.1
done
# lscad samples the call rate once a second
for _ in $(seq 50); do
	"$LSCACTL" status --json >"$WORK/status.json"
	[ "$(json "$WORK/status.json" 'j["calls_per_second"] > 0')" = True ] && break
	sleep 0.1
done
"$LSCACTL" status >"$WORK/status"
grep -q "^● lscad [0-9.]* - LSCA system call agent" "$WORK/status" || fail "status head: $(cat "$WORK/status")"
for label in Loaded Active Interception Clients Calls Errors; do
	grep -Eq "^ *$label: " "$WORK/status" || fail "status lacks $label: $(cat "$WORK/status")"
done
grep -q "Active: active (running)" "$WORK/status" || fail "$(cat "$WORK/status")"
grep -q "Clients: 1 attached" "$WORK/status" || fail "$(cat "$WORK/status")"
grep -Eq "^(openat|read) +[0-9]+" "$WORK/status" || fail "no top syscalls: $(cat "$WORK/status")"
grep -q $'\e' "$WORK/status" && fail "colour written to a file"
"$LSCACTL" status --json >"$WORK/status.json"
[ "$(json "$WORK/status.json" 'j["running"] and j["clients"] == 1 and j["pid"] == '"$LSCAD_PID")" = True ] ||
	fail "status --json: $(cat "$WORK/status.json")"
[ "$(json "$WORK/status.json" 'j["calls"] > 0 and j["calls_per_second"] > 0 and j["proxied"] > 0')" = True ] ||
	fail "status --json counts: $(cat "$WORK/status.json")"
[ "$(json "$WORK/status.json" '[r for r in j["top"] if r["syscall"] == "openat"][0]["p50_ns"] > 0')" = True ] ||
	fail "no p50 for openat: $(cat "$WORK/status.json")"
[ "$(json "$WORK/status.json" 'j["interception"] != "" and j["config"] is None')" = True ] ||
	fail "status --json: $(cat "$WORK/status.json")"
ok "status while a client runs: $(grep Calls: "$WORK/status" | sed 's/^ *//')"

"$LSCACTL" clients >"$WORK/clients"
awk -v pid="$client" '$1 == pid && $2 ~ /^python/ && $5 == "proxy" && $7 > 0 { f = 1 } END { exit !f }' \
	"$WORK/clients" || fail "clients: $(cat "$WORK/clients")"
"$LSCACTL" clients --json >"$WORK/clients.json"
[ "$(json "$WORK/clients.json" '[c for c in j if c["pid"] == '"$client"'][0]["calls"] > 0')" = True ] ||
	fail "clients --json: $(cat "$WORK/clients.json")"
[ "$(json "$WORK/clients.json" '[c for c in j if c["pid"] == '"$client"'][0]["mode"]')" = proxy ] ||
	fail "clients --json mode: $(cat "$WORK/clients.json")"
[ "$(json "$WORK/clients.json" '[c for c in j if c["pid"] == '"$client"'][0]["uid"] == '"$(id -u)")" = True ] ||
	fail "clients --json uid: $(cat "$WORK/clients.json")"
ok "clients lists the python client with calls"

"$LSCACTL" stats >"$WORK/stats"
grep -Eq "^openat +[1-9]" "$WORK/stats" || fail "stats: $(cat "$WORK/stats")"
grep -Eq "^total +[1-9]" "$WORK/stats" || fail "stats total: $(cat "$WORK/stats")"
"$LSCACTL" stats --json >"$WORK/stats.json"
[ "$(json "$WORK/stats.json" 'j["total"]["calls"] > 0 and j["reset"] is False')" = True ] ||
	fail "stats --json: $(cat "$WORK/stats.json")"
kill "$client"
wait "$client" 2>/dev/null || true
sleep 0.3
"$LSCACTL" stats --reset --json >"$WORK/reset.json"
[ "$(json "$WORK/reset.json" 'j["reset"] and j["total"]["calls"] > 0')" = True ] ||
	fail "stats --reset --json: $(cat "$WORK/reset.json")"
"$LSCACTL" stats --json >"$WORK/stats.json"
[ "$(json "$WORK/stats.json" 'j["total"]["calls"] == 0 and j["syscalls"] == []')" = True ] ||
	fail "after --reset: $(cat "$WORK/stats.json")"
"$LSCACTL" stats --reset >"$WORK/reset"
grep -q "Statistics reset" "$WORK/reset" || fail "stats --reset: $(cat "$WORK/reset")"
"$LSCACTL" clients --json >"$WORK/clients.json"
[ "$(json "$WORK/clients.json" 'len(j)')" = 0 ] || fail "client left: $(cat "$WORK/clients.json")"
ok "stats, stats --reset zeroes (the detached client's counts too)"

"$LSCACTL" plugins >"$WORK/plugins"
head -1 "$WORK/plugins" | grep -q "^NAME" || fail "plugins: $(cat "$WORK/plugins")"
"$LSCACTL" plugins --json >"$WORK/plugins.json"
[ "$(json "$WORK/plugins.json" 'len(j)')" = 0 ] || fail "plugins --json: $(cat "$WORK/plugins.json")"
"$LSCACTL" reload >"$WORK/reload"
grep -q "reloaded" "$WORK/reload" || fail "reload: $(cat "$WORK/reload")"
"$LSCACTL" reload --json >"$WORK/reload.json"
[ "$(json "$WORK/reload.json" 'j["reloaded"]')" = True ] || fail "reload --json: $(cat "$WORK/reload.json")"
ok "plugins and reload, human and json"

# --- enable / disable under a temp root ---
root=$WORK/systemd
mkdir -p "$root"
printf '[Service]\nEnvironment="LD_PRELOAD=/opt/mine.so" FOO=1\nExecStart=/bin/true\n' >"$root/web.service"
"$LSCACTL" enable web --root "$root" >"$WORK/en" 2>"$WORK/en.err"
drop=$root/web.service.d/50-lsca.conf
grep -q "^# Written by lscactl enable" "$drop" || fail "no marker: $(cat "$drop")"
grep -qx "Environment=\"LD_PRELOAD=/opt/mine.so:$SHIM\"" "$drop" || fail "LD_PRELOAD not appended: $(cat "$drop")"
{ grep -qx "After=lscad.socket" "$drop" && grep -qx "Wants=lscad.socket" "$drop"; } || fail "ordering: $(cat "$drop")"
grep -q "not reloading systemd" "$WORK/en.err" || fail "no skip message: $(cat "$WORK/en.err")"
sum=$(sha256sum "$drop")
"$LSCACTL" enable web.service --root "$root" --json >"$WORK/en.json"
[ "$(json "$WORK/en.json" 'j["changed"] is False and j["unit"] == "web.service" and j["daemon_reload"] == "skipped"')" = True ] ||
	fail "enable again: $(cat "$WORK/en.json")"
[ "$(sha256sum "$drop")" = "$sum" ] || fail "enable is not idempotent"
# a unit without LD_PRELOAD gets the shim alone; LSCA_SYSTEMD_DIR works like --root
LSCA_SYSTEMD_DIR=$root "$LSCACTL" enable db --json >"$WORK/en.json" 2>/dev/null
[ "$(json "$WORK/en.json" 'j["ld_preload"]')" = "$SHIM" ] || fail "plain unit: $(cat "$WORK/en.json")"
st "$LSCACTL" enable ../etc --root "$root" 2>/dev/null; [ "$r" = 2 ] || fail "bad unit name accepted"
st "$LSCACTL" enable x.timer --root "$root" 2>/dev/null; [ "$r" = 2 ] || fail "timer accepted"
st "$LSCACTL" enable 2>/dev/null; [ "$r" = 2 ] || fail "enable without a unit"
mkdir -p "$root/other.service.d"
printf '[Service]\nEnvironment=X=1\n' >"$root/other.service.d/50-lsca.conf"
st "$LSCACTL" enable other --root "$root" 2>/dev/null; [ "$r" = 1 ] || fail "overwrote a foreign drop-in"
st "$LSCACTL" disable other --root "$root" 2>/dev/null; [ "$r" = 1 ] || fail "removed a foreign drop-in"
[ -f "$root/other.service.d/50-lsca.conf" ] || fail "foreign drop-in gone"
touch "$root/web.service.d/10-admin.conf"
"$LSCACTL" disable web --root "$root" >"$WORK/dis" 2>/dev/null
grep -q "^Removed " "$WORK/dis" || fail "disable: $(cat "$WORK/dis")"
{ [ ! -e "$drop" ] && [ -f "$root/web.service.d/10-admin.conf" ]; } || fail "disable removed the wrong thing"
[ -f "$root/web.service" ] || fail "disable touched the unit"
LSCA_SYSTEMD_DIR=$root "$LSCACTL" disable db --json >"$WORK/dis.json" 2>/dev/null
[ "$(json "$WORK/dis.json" 'j["changed"] and not j["enabled"]')" = True ] || fail "disable --json: $(cat "$WORK/dis.json")"
[ ! -e "$root/db.service.d" ] || fail "empty drop-in directory left behind"
"$LSCACTL" disable db --root "$root" --json >"$WORK/dis.json" 2>/dev/null
[ "$(json "$WORK/dis.json" 'j["changed"]')" = False ] || fail "disable twice: $(cat "$WORK/dis.json")"
ls "$root"/*/*.lscactl.* 2>/dev/null && fail "temp files left"
ok "enable/disable: appended LD_PRELOAD, idempotent, only its own file, names checked"

# --- preload against a temp file ---
pre=$WORK/ld.so.preload
printf '/opt/first.so\n# keep me\n/opt/last.so' >"$pre"
cp "$pre" "$WORK/pre.orig"
"$LSCACTL" preload status --file "$pre" >"$WORK/ps"
grep -q "disabled" "$WORK/ps" || fail "preload status: $(cat "$WORK/ps")"
"$LSCACTL" preload enable --file "$pre" >"$WORK/pe"
grep -q "^Enabled" "$WORK/pe" || fail "preload enable: $(cat "$WORK/pe")"
[ "$(grep -cx "$SHIM" "$pre")" = 1 ] || fail "shim line: $(cat "$pre")"
[ "$(head -3 "$pre")" = "$(printf '/opt/first.so\n# keep me\n/opt/last.so')" ] || fail "other lines changed: $(cat "$pre")"
LSCA_PRELOAD_FILE=$pre "$LSCACTL" preload enable --json >"$WORK/pe.json"
[ "$(json "$WORK/pe.json" 'j["enabled"] and not j["changed"]')" = True ] || fail "enable twice: $(cat "$WORK/pe.json")"
[ "$(grep -cx "$SHIM" "$pre")" = 1 ] || fail "enable twice added a line"
"$LSCACTL" preload status --file "$pre" --json >"$WORK/ps.json"
[ "$(json "$WORK/ps.json" 'j["enabled"]')" = True ] || fail "status --json: $(cat "$WORK/ps.json")"
"$LSCACTL" preload disable --file "$pre" --json >"$WORK/pd.json"
[ "$(json "$WORK/pd.json" 'j["changed"] and not j["enabled"]')" = True ] || fail "disable --json: $(cat "$WORK/pd.json")"
grep -qx "$SHIM" "$pre" && fail "shim line left"
[ "$(cat "$pre")" = "$(printf '/opt/first.so\n# keep me\n/opt/last.so')" ] || fail "disable changed other lines: $(cat "$pre")"
"$LSCACTL" preload disable --file "$pre" >"$WORK/pd"
grep -q "Not enabled" "$WORK/pd" || fail "disable twice: $(cat "$WORK/pd")"
st "$LSCACTL" preload --file "$pre" 2>/dev/null; [ "$r" = 2 ] || fail "preload without action"
st "$LSCACTL" preload start --file "$pre" 2>/dev/null; [ "$r" = 2 ] || fail "preload start"
ok "preload enable/status/disable: one exact line, others kept"

stop_lscad
st "$LSCACTL" preload enable --file "$pre" 2>"$WORK/err"; [ "$r" = 3 ] || fail "enabled without lscad"
grep -q "not healthy" "$WORK/err" || fail "no reason: $(cat "$WORK/err")"
grep -qx "$SHIM" "$pre" && fail "line added without lscad"
"$LSCACTL" preload enable --file "$pre" --force >/dev/null 2>&1 || fail "--force refused"
grep -qx "$SHIM" "$pre" || fail "--force did not add the line"
"$LSCACTL" preload disable --file "$pre" >/dev/null
# a file that held only our line goes away
rm "$pre"
"$LSCACTL" preload enable --file "$pre" --force >/dev/null 2>&1
[ "$(cat "$pre")" = "$SHIM" ] || fail "new file: $(cat "$pre")"
"$LSCACTL" preload disable --file "$pre" >/dev/null
[ ! -e "$pre" ] || fail "emptied file left: $(cat "$pre")"
ok "preload refuses without a healthy lscad, unless --force"

# ---- run: the summary, human and --json ----
printf 'x\n' >"$WORK/runfile"
"$LSCACTL" run --summary-file "$WORK/run.txt" -- cat "$WORK/runfile" >/dev/null
grep -q "^lsca: 1 process attached" "$WORK/run.txt" && grep -q "^openat " "$WORK/run.txt" ||
	fail "run's summary: $(cat "$WORK/run.txt")"
"$LSCACTL" run --json --summary-file "$WORK/run.json" -- cat "$WORK/runfile" >/dev/null
python3 - "$WORK/run.json" "$WORK/run.txt" <<'PY' || fail "run --json: $(cat "$WORK/run.json")"
import json, sys
j = json.load(open(sys.argv[1]))
txt = {l.split()[0]: int(l.split()[1]) for l in open(sys.argv[2]) if l[:1].isalpha() and len(l.split()) == 8 and l.split()[1].isdigit()}
assert j["processes"] == 1 and sum(j["interception"].values()) == 1, j
calls = {r["syscall"]: r["calls"] for r in j["syscalls"]}
assert calls.get("openat", 0) > 0 and all(r["proxied"] + r["observed"] + r["direct"] == r["calls"] for r in j["syscalls"]), j
assert calls == {k: v for k, v in txt.items() if k != "total" and k != "syscall"}, (calls, txt)
PY
ok "run prints its summary as a table and, with --json, as one JSON object"
echo "$passed passed, 0 failed"
