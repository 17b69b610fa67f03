#!/bin/sh
# The systemd guest's tests (started by mult-test.service once the system
# is up). Each test reports on /dev/ttyS1 in the format
# tests/vm/summarize.py reads (MULT-TEST-BEGIN, ok / not ok lines, the
# test's output, MULT-TEST-END NAME CONTEXT RC SECONDS), then MULT-DONE,
# then the guest powers off.
R=/dev/ttyS1
stty -F $R raw -echo 2>/dev/null
say() { echo "$*" >>$R; }
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
n=0

# run NAME: runs the function t_NAME in a subshell (set -e, output kept),
# killed after 600 s (a debug kernel under emulation is slow).
run() {
	n=$((n + 1))
	say "MULT-TEST-BEGIN systemd/$1 systemd"
	echo "[guest] running systemd/$1" >/dev/console
	start=$(cut -d. -f1 /proc/uptime)
	# Traced with the guest's uptime: where the time goes under emulation.
	(PS4='+ $(cut -d" " -f1 /proc/uptime) '; set -ex; "t_$1") >/tmp/out.$1 2>&1 &
	pid=$!
	(sleep 600 & echo $! >/tmp/nap; wait; kill -9 $pid 2>/dev/null) &
	dog=$!
	wait $pid
	rc=$?
	# The watchdog first (so that it kills nothing), then its sleep, which
	# would show up in the next test's ps.
	kill $dog 2>/dev/null
	kill "$(cat /tmp/nap)" 2>/dev/null
	if [ $rc = 0 ]; then say "ok $n systemd/$1"; else say "not ok $n systemd/$1 (status $rc)"; fi
	sed 's/^/# /' /tmp/out.$1 >>$R
	say "MULT-TEST-END systemd/$1 systemd $rc $(($(cut -d. -f1 /proc/uptime) - start))"
}

fail() { echo "FAIL: $*"; exit 1; }
# Processes outside, by command name (the root instance's view).
count_outside() { ps -e -o comm= | grep -c "^$1\$" || true; }
# hidden NAME: every process instctl lists in instance NAME is absent from
# /proc here, and there is at least one.
hidden() {
	pids=$(instctl ps "$1" | awk 'NR > 1 { print $1 }')
	[ -n "$pids" ] || fail "no process in instance $1"
	for p in $pids; do
		[ ! -e /proc/$p ] || fail "pid $p of instance $1 is visible outside"
	done
}
login() { ssh -p "${2:-22}" tester@127.0.0.1 "$1"; }
# wait_for SECONDS COMMAND...
. /mult/wait.sh
active() { [ "$(systemctl show -p ActiveState --value "$1")" = "$2" ]; }

t_setup() {
	insmod /mult/mult_mgmt.ko
	install -m 0755 /mult/instfork /mult/instctl /usr/local/bin/
	# Loaded from disk when first named: no daemon-reload needed here.
	cp /mult/forkd.service /mult/notifyd.service /mult/stubborn.service /etc/systemd/system/
	instctl info
	systemctl --version | head -1
}

t_svc_enable() {
	# The other tests' units first, without a reload: the one that
	# `instctl svc enable ssh.service` runs below covers them too (each
	# daemon-reload costs 20 to 65 s under emulation). forking, notify and
	# stop_timeout fail if systemd did not load their drop-ins.
	for u in forkd notifyd stubborn; do instctl svc enable --no-reload $u; done
	grep -q 'Type=notify' /etc/systemd/system/forkd.service.d/mult.conf || fail "forkd is not turned into notify"
	grep -q -- '--forking' /etc/systemd/system/forkd.service.d/mult.conf || fail "forkd runs without --forking"
	instctl svc enable ssh.service
	cat /etc/systemd/system/ssh.service.d/mult.conf
	systemctl cat ssh.service | grep -q 'instfork --init --name ssh -- /usr/sbin/sshd -D' ||
		fail "systemd does not see the drop-in"
	rc=0; instctl svc enable ssh >/tmp/e 2>&1 || rc=$?
	cat /tmp/e
	[ $rc = 10 ] || fail "enabling twice: status $rc, expected 10"
	rc=0; instctl svc enable nosuch.service 2>/tmp/e || rc=$?
	cat /tmp/e
	[ $rc = 8 ] || fail "an unknown unit: status $rc, expected 8"
	[ ! -e /etc/systemd/system/nosuch.service.d ] || fail "an unknown unit left a directory"
	rc=0; su -s /bin/sh tester -c 'instctl svc enable cron' 2>/tmp/e || rc=$?
	cat /tmp/e
	[ $rc = 4 ] || fail "unprivileged: status $rc, expected 4"
}

t_ssh_start() {
	systemctl start ssh
	active ssh active || fail "ssh is not active"
	systemctl status ssh --no-pager || true
	instctl list
	instctl ps ssh
	instctl ps ssh | grep -q sshd || fail "no sshd in instance ssh"
	ps ax
	[ "$(count_outside sshd)" = 0 ] || fail "sshd is visible outside"
	hidden ssh
	main=$(systemctl show -p MainPID --value ssh)
	[ "$(cat /proc/$main/comm)" = instfork ] || fail "the main pid $main is not instfork"
	echo "cgroup.procs of ssh.service (members read as 0 from here):"
	cat /sys/fs/cgroup/system.slice/ssh.service/cgroup.procs
}

t_ssh_login() {
	login 'ps ax' >/tmp/ps || fail "no ssh login"
	cat /tmp/ps
	grep -q sshd /tmp/ps || fail "the session does not see sshd"
	grep -q 'ps ax' /tmp/ps || fail "the session does not see itself"
	! grep -Eq 'systemd|mult-test|/mult/run.sh' /tmp/ps || fail "the session sees the host's processes"
	# Only sshd's tree: the reaper, sshd and the session's processes.
	bad=$(awk 'NR > 1 && $5 !~ /^(sshd|instfork|\/usr\/local\/bin\/instfork|-?bash|ps|sh|\(sd-pam\))/' /tmp/ps)
	[ -z "$bad" ] || fail "processes beyond sshd's tree: $bad"
}

t_ssh_stop() {
	login 'sleep 100000' &
	client=$!
	wait_for 30 sh -c 'instctl ps ssh | grep -q sleep' || fail "the session's sleep never showed up"
	instctl ps ssh
	start=$(date +%s)
	systemctl stop ssh
	echo "stop took $(($(date +%s) - start)) s"
	active ssh inactive || fail "ssh is $(systemctl show -p ActiveState --value ssh)"
	wait_for 10 sh -c "! kill -0 $client" || fail "the ssh session survived the stop"
	rc=0; instctl ps ssh >/dev/null 2>&1 || rc=$?
	[ $rc = 3 ] || fail "instance ssh still there after stop (instctl ps: $rc)"
	instctl list
	[ "$(instctl list | wc -l)" -le 1 ] || fail "instances left"
}

t_ssh_restart() {
	systemctl start ssh
	for i in 1 2 3; do
		systemctl restart ssh
		active ssh active || fail "restart $i: ssh is not active"
		instctl ps ssh | grep -q sshd || fail "restart $i: no instance ssh"
		echo "restart $i: ok"
	done
	instctl list
	systemctl reload ssh
	active ssh active || fail "ssh is not active after reload"
	login 'echo logged in' | grep -q 'logged in' || fail "no login after the restarts and the reload"
}

t_forking() {
	systemctl start forkd
	active forkd active || fail "forkd is not active"
	instctl ps forkd
	# The daemon outlived its parent, in the instance kept by the reaper.
	instctl ps forkd | grep -q sshd || fail "no sshd daemon in instance forkd"
	[ "$(count_outside sshd)" = 0 ] || fail "the forked sshd is visible outside"
	systemctl stop forkd
	active forkd inactive || fail "forkd did not stop"
	rc=0; instctl ps forkd >/dev/null 2>&1 || rc=$?
	[ $rc = 3 ] || fail "instance forkd left after stop"
	instctl svc disable --no-reload forkd
}

t_notify() {
	systemctl start notifyd
	active notifyd active || fail "notifyd is not active"
	status=$(systemctl show -p StatusText --value notifyd)
	echo "StatusText=$status"
	[ "$status" = "serving from an instance" ] || fail "the status did not arrive"
	hidden notifyd
	systemctl stop notifyd
	active notifyd inactive || fail "notifyd did not stop"
	instctl svc disable --no-reload notifyd
}

t_stop_timeout() {
	systemctl start stubborn
	wait_for 10 sh -c 'instctl ps stubborn | grep -q sleep'
	instctl ps stubborn
	start=$(date +%s)
	systemctl stop stubborn
	took=$(($(date +%s) - start))
	echo "stop took $took s (TimeoutStopSec=4)"
	[ $took -lt 30 ] || fail "stop took $took s"
	rc=0; instctl ps stubborn >/dev/null 2>&1 || rc=$?
	[ $rc = 3 ] || fail "instance stubborn left after stop"
	instctl svc disable --no-reload stubborn
}

t_svc_disable() {
	instctl svc disable ssh
	[ ! -e /etc/systemd/system/ssh.service.d/mult.conf ] || fail "the drop-in is still there"
	rc=0; instctl svc disable ssh 2>/dev/null || rc=$?
	[ $rc = 10 ] || fail "disabling twice: status $rc, expected 10"
	systemctl restart ssh
	active ssh active || fail "plain ssh is not active"
	[ "$(count_outside sshd)" -ge 1 ] || fail "plain sshd is not visible outside"
	rc=0; instctl ps ssh >/dev/null 2>&1 || rc=$?
	[ $rc = 3 ] || fail "an instance ssh exists without the drop-in"
	systemctl stop ssh
}

t_instctl_stop() {
	instfork --name calm --detach -- sleep 100000
	instfork --name deaf --detach -- sh -c 'trap "" TERM; sleep 100000 & wait; sleep 100000'
	instctl list
	rc=0; instctl stop calm || rc=$?
	[ $rc = 0 ] || fail "stop calm: status $rc, expected 0"
	rc=0; instctl stop --timeout 1 deaf || rc=$?
	[ $rc = 6 ] || fail "stop deaf: status $rc, expected 6 (needed SIGKILL)"
	rc=0; instctl stop calm 2>/dev/null || rc=$?
	[ $rc = 3 ] || fail "stop of a gone instance: status $rc, expected 3"
	instfork --detach -- sleep 100000
	instfork --detach -- sleep 100000
	instctl kill -s -KILL --all
	wait_for 10 sh -c '[ "$(instctl list | wc -l)" -le 1 ]' || fail "kill -KILL --all left instances"
	instfork --detach -- sleep 100000
	rc=0; instctl stop --all --timeout 2 || rc=$?
	[ $rc = 0 ] || fail "stop --all: status $rc"
	rc=0; instctl stop --all || rc=$?
	[ $rc = 0 ] || fail "stop --all with nothing to stop: status $rc"
}

for t in setup svc_enable ssh_start ssh_login ssh_stop ssh_restart forking notify stop_timeout \
	svc_disable instctl_stop; do
	run $t
done
say "MULT-DONE"
sync
systemctl --no-block poweroff
