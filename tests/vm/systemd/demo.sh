#!/bin/sh
# The guest side of `make demo`'s last chapter, the ssh scenario: sshd as a
# service instance under real systemd. scripts/demo.sh boots the systemd
# guest (tests/vm/systemd/boot.sh) with this script as the payload's run.sh;
# mult-test.service starts it once the system is up.
#
# Every command shown is run as shown, and its output is printed as it came.
# Each check that fails prints a '!!' line and a DEMO-FAIL line on the
# result channel (/dev/ttyS1); scripts/demo.sh fails unless it finds
# DEMO-OK there.
R=/dev/ttyS1
stty -F $R raw -echo 2>/dev/null
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Straight to the console: through the journal (the unit's
# StandardOutput=journal+console) every line would carry a prefix. Kernel
# messages below warnings stay in console.log, out of the story.
exec >/dev/console 2>&1 </dev/null
echo 4 >/proc/sys/kernel/printk
cd /root || exit 1

failed=0
hr() { echo; echo "== $*"; }
# show LINE: a root shell's command line, run as shown; its output indented.
# Returns the command's status; says how long it took if that was 10 s or
# more. Empty lines are left out.
show() {
	echo "root@mult-systemd:~# $1"
	t0=$(cut -d. -f1 /proc/uptime)
	sh -c "$1" >/tmp/out 2>&1
	rc=$?
	took=$(($(cut -d. -f1 /proc/uptime) - t0))
	sed '/^$/d; s/^/    /' /tmp/out
	[ -s /tmp/out ] || [ $rc != 0 ] || echo "    (no output)"
	[ $rc = 0 ] || echo "    (exit status $rc)"
	[ $took -lt 10 ] || echo "    (took $took s)"
	return $rc
}
note() { echo "   -> $*"; }
bad() {
	echo "   !! NOT AS EXPECTED: $*"
	echo "DEMO-FAIL $*" >>$R
	failed=1
}
# wait_for SECONDS COMMAND...
. /mult/wait.sh
finish() {
	if [ $failed = 0 ]; then echo "DEMO-OK" >>$R; else echo "DEMO-FAILED" >>$R; fi
	echo "MULT-DONE" >>$R
	sync
	# Without D-Bus (not installed) systemctl says 'Failed to connect to
	# bus' before it powers off through systemd's private socket.
	systemctl --no-block poweroff 2>/dev/null
	exit 0
}

# run-qemu.sh shows the console from this line on.
echo "[guest] up: Debian 12, $(systemctl --version | head -1) as PID 1, $(ssh -V 2>&1 | cut -d, -f1), Linux $(uname -r)"
echo "   (the debug kernel, KASAN and lockdep on: under QEMU's emulation every command takes a second or more)"
insmod /mult/mult_mgmt.ko || bad "insmod mult_mgmt.ko failed"
install -m 0755 /mult/instfork /mult/instctl /usr/local/bin/
echo "   (set-up, not shown: insmod mult_mgmt.ko; instfork and instctl copied to /usr/local/bin)"

hr "1. the administrator turns the stock ssh.service into a service instance"
show "instctl svc enable ssh.service" || bad "instctl svc enable ssh.service failed"
show "cat /etc/systemd/system/ssh.service.d/mult.conf"
show "systemctl start ssh" || bad "systemctl start ssh failed"
show "systemctl is-active ssh" || bad "ssh.service is not active"
show "instctl ps ssh"
grep -q sshd /tmp/out || bad "no sshd in the instance 'ssh'"
cp /tmp/out /tmp/members
pids=$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' /tmp/members)
sshd=$(awk 'NR > 1 && $NF == "sshd" { print $1; exit }' /tmp/members)
show "systemctl show -p MainPID --value ssh   # the unit's main process, as systemd sees it"
main=$(cat /tmp/out)
[ "$(cat "/proc/$main/comm" 2>/dev/null)" = instfork ] || bad "the unit's main process $main is not instfork"
note "the instance 'ssh' holds instfork, its reaper, and sshd (pids $pids); the unit's" \
	"main process, as systemd sees it, is instfork --init (pid $main), outside the instance"

hr "2. outside the instance, where systemd and this script run"
show "ps --ppid 2 -p 2 --deselect -o pid,ppid,args   # ps ax without the kernel threads"
show "pgrep -x sshd   # the pids of processes named sshd" && bad "pgrep finds sshd outside: $(cat /tmp/out)"
# shellcheck disable=SC2009 # ps as well as pgrep: the same question asked twice
n=$(ps -e -o comm= | grep -c '^sshd$')
[ "$n" = 0 ] || bad "ps outside lists $n process(es) named sshd"
seen=
for p in $pids; do [ ! -e "/proc/$p" ] || seen="$seen $p"; done
[ -z "$seen" ] || bad "pids of instance ssh visible outside:$seen"
show "kill -0 ${sshd:-0}   # sshd's pid, as instctl ps printed it" && bad "kill -0 reached sshd from outside"
note "no process named sshd here, and sshd's pids do not exist for this side;" \
	"of the unit, only instfork --init, its main process, is visible"

hr "3. a user logs in over ssh on 127.0.0.1 and runs ps ax"
show "ssh tester@127.0.0.1 ps ax" || bad "no ssh login"
grep -q sshd /tmp/out || bad "the session does not see sshd"
grep -q 'ps ax' /tmp/out || bad "the session does not see itself"
! grep -Eq 'systemd|/mult/run.sh|journald' /tmp/out || bad "the session sees processes outside sshd's tree"
# Only sshd's tree: the reaper, sshd and the session's processes.
extra=$(awk 'NR > 1 && $5 !~ /^(sshd|instfork|\/usr\/local\/bin\/instfork|-?bash|ps|sh|\(sd-pam\))/' /tmp/out)
[ -z "$extra" ] || bad "the session sees processes beyond sshd's tree: $extra"
note "the session sees only sshd's tree: the reaper, the sshd listener and its own" \
	"processes (its sshd, ps ax); not systemd (pid 1), not journald, not this script"

hr "4. systemctl stop ssh ends the service, the session and every other member"
echo "root@mult-systemd:~# ssh tester@127.0.0.1 sleep 100000 &   # a session that stays"
ssh tester@127.0.0.1 sleep 100000 >/tmp/client.out 2>&1 &
client=$!
wait_for 60 sh -c 'instctl ps ssh | grep -q sleep' || bad "the session's sleep never showed up"
show "instctl ps ssh"
show "systemctl stop ssh" || bad "systemctl stop ssh failed"
show "systemctl is-active ssh" && bad "ssh.service is still active"
if wait_for 10 sh -c "! kill -0 $client"; then
	wait $client
	echo "    [the session's ssh client has ended, exit status $?: $(tr -d '\r' </tmp/client.out | head -1)]"
else
	bad "the ssh session survived the stop"
fi
show "instctl ps ssh" ; [ $rc = 3 ] || bad "instance ssh still there after the stop (instctl ps: status $rc)"
show "instctl list"
[ "$(wc -l </tmp/out)" -le 1 ] || bad "instances left after the stop"
note "the stop reached the user's session too: the instance is the unit of lifetime," \
	"and nothing of it is left"

hr "$([ $failed = 0 ] && echo "the ssh scenario held: every claim above was checked in the guest" ||
	echo "the ssh scenario did NOT hold (lines marked !!)")"
finish
