#!/bin/sh
# The stress stage, in the guest: one stressor per call, then the checks
# every stressor must pass. Run from the guest plan (tests/stress/mkplan.sh
# for `make stress`, tests/vm/mkplan.sh for the short slice in `make check`):
#
#   stress.sh setup PID_MAX        module, cgroup2, canary tree and observer
#   stress.sh STRESSOR SECONDS     run one stressor, then check
#
# Stressors: stress-ng (process-class stressors as root inside an
# instance), stress-ng-nobody (the same as uid 65534, with exec), trinity
# (uid 65534 inside an instance), churn (mult_churn), module (rmmod/insmod
# under load with watch and dumps in flight), nlfuzz (root and nobody),
# limits (max_instances, max_depth), pids-max (a fork bomb in an instance
# under instfork --pids-max), pid-exhaust (a fork bomb with no limit: every
# pid of the machine, then the teardown of thousands of processes).
#
# After each: no kernel report in the log since the stressor started, no
# new kmemleak object, kernel.mult.nr_instances back to its value before,
# no zombie, the canary alive, unsignalled and never seen from inside.
# Lines are TAP ("ok N - ...", "not ok N - ..."); "# " lines carry the
# counts. Exit status 1 if any check failed. MULT_STRESS_KMEMLEAK=0 skips
# the kmemleak scans (they cost tens of seconds each under TCG).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
stage=${1:?usage: stress.sh setup PID_MAX | stress.sh STRESSOR SECONDS}
secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
tool=$here/mult_stress
run=/run/mult-stress
canary=$run/canary
out=$run/$stage.out
ko=/lib/modules/mult_mgmt.ko
kmemleak=/sys/kernel/debug/kmemleak
mkdir -p "$run" "$canary"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $stage: $*"; }
notok() { n=$((n + 1)); failed=1; echo "not ok $n - $stage: $*"; }
check() { # DESCRIPTION COMMAND...: ok if the command succeeds
	what=$1; shift
	if "$@"; then ok "$what"; else notok "$what"; fi
}
nr() { cat /proc/sys/kernel/mult/nr_instances; }
module_loaded() { grep -q '^mult_mgmt ' /proc/modules; }
load_module() { module_loaded || insmod $ko; }

# The reports the judge (tests/vm/summarize.py) fails a run on, and RCU
# stalls and hung tasks by their own words.
REPORT='WARNING:|BUG:|KASAN|UBSAN|kmemleak:.*new suspected|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|rcu.*stall|rcu.*starved|hung task|blocked for more than|soft lockup|Call Trace:|Oops|general protection'

# kmemleak without "clear": the rest of the plan's leaks must still be in
# the final report (guest/rc scans at the end). New = now minus the count
# the previous scans left in $run/leaks (setup scans first). A scan takes
# about a minute on the debug kernel under TCG, so each stressor costs two
# (an object is reported only once a scan finds its contents unchanged
# since the one before).
leaks() {
	[ -e $kmemleak ] && [ "${MULT_STRESS_KMEMLEAK:-1}" = 1 ] || { echo -1; return; }
	echo scan >$kmemleak
	grep -c 'unreferenced object' $kmemleak
}
leaks_before() {
	[ -e $kmemleak ] && [ "${MULT_STRESS_KMEMLEAK:-1}" = 1 ] || { echo -1; return; }
	cat $run/leaks 2>/dev/null || leaks
}

# One cat and one sed for every process: a sed per process costs seconds
# under TCG with thousands of processes.
zombies() {
	cat /proc/[0-9]*/stat 2>/dev/null | sed -n 's/^\([0-9]*\) (\(.*\)) Z .*/\1 \2/p'
}

# The checks after every stressor.
post_checks() {
	# nr_instances back to where it was (the kernel may take a moment to
	# finish a teardown).
	i=0
	while [ "$(nr)" != "$nr_before" ] && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done
	if [ "$(nr)" = "$nr_before" ]; then
		ok "kernel.mult.nr_instances back to $nr_before"
	else
		notok "kernel.mult.nr_instances is $(nr), was $nr_before before the stressor (60 s later)"
		module_loaded && instctl list 2>&1 | sed 's/^/#   /' | head -20
		echo "# SysV objects left (/proc/sysvipc):"
		for f in shm msg sem; do
			echo "#   $f: $(($(wc -l </proc/sysvipc/$f) - 1))"
		done
		head -5 /proc/sysvipc/shm /proc/sysvipc/msg | sed 's/^/#   /'
		# So that the next stressors are judged on their own.
		echo "# $($tool ipc-clean)"
		i=0
		while [ "$(nr)" != "$nr_before" ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
		echo "# after removing them: nr_instances $(nr)"
	fi

	i=0
	while [ -n "$(zombies)" ] && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
	z=$(zombies)
	if [ -z "$z" ]; then ok "no zombie"; else notok "zombies left: $(echo $z | head -c 200)"; fi

	if $tool canary-check $canary >$run/canary.txt 2>&1; then
		ok "canary: $(tail -1 $run/canary.txt)"
	else
		notok "canary"
		sed 's/^/#   /' $run/canary.txt
	fi

	if [ "$leaks_before" != -1 ]; then
		# kmemleak reports objects at least 5 s old, found by two scans.
		sleep 6
		leaks >/dev/null
		leaks_after=$(leaks)
		echo "$leaks_after" >$run/leaks
		if [ "$leaks_after" -le "$leaks_before" ]; then
			ok "kmemleak: no new unreferenced object ($leaks_after in all)"
		else
			notok "kmemleak: $((leaks_after - leaks_before)) new unreferenced object(s)"
			grep -A12 'unreferenced object' $kmemleak | head -40 | sed 's/^/#   /'
		fi
	fi

	# What the kernel said since the stressor started (the ring was
	# emptied then; the console, which the judge reads, keeps everything).
	dmesg >$run/dmesg.new
	if grep -Eq "$REPORT" $run/dmesg.new; then
		notok "kernel report in the log"
		grep -E -B2 -A20 "$REPORT" $run/dmesg.new | head -60 | sed 's/^/#   /'
	else
		ok "no kernel report ($(wc -l <$run/dmesg.new) new log lines)"
	fi
}

setup() {
	# A pids cgroup needs the cgroup2 hierarchy (instfork --pids-max).
	grep -q ' /sys/fs/cgroup cgroup2 ' /proc/mounts ||
		mount -t cgroup2 cgroup2 /sys/fs/cgroup || notok "mount cgroup2"
	echo "$secs" >/proc/sys/kernel/pid_max
	# A hung task is reported (the judge fails the run on it) without
	# ending the guest: the stressors after it still run and report.
	echo 0 >/proc/sys/kernel/hung_task_panic 2>/dev/null
	check "mult_mgmt.ko loaded" load_module
	$tool canary-tree $canary >$run/canary-start.txt 2>&1 ||
		notok "canary tree: $(cat $run/canary-start.txt)"
	$tool observer $canary || notok "observer"
	sleep 1
	echo "# $(cat $run/canary-start.txt)"
	echo "# pid_max $(cat /proc/sys/kernel/pid_max), $(grep -c ^processor /proc/cpuinfo) CPUs, nr_instances $(nr)"
	if $tool canary-check $canary >$run/canary.txt 2>&1; then
		ok "canary and observer running: $(tail -1 $run/canary.txt)"
	else
		notok "canary and observer"
		sed 's/^/#   /' $run/canary.txt
	fi
	l=$(leaks) && [ "$l" != -1 ] && echo "$l" >$run/leaks && echo "# kmemleak: $l unreferenced objects before the stressors"
	exit $failed
}

[ "$stage" = setup ] && setup
if [ ! -s $canary/pids ]; then
	echo "not ok 1 - $stage: no canary (stress.sh setup must run first)"
	exit 1
fi
load_module
nr_before=$(nr)
leaks_before=$(leaks_before)
dmesg -c >/dev/null
start=$(cut -d. -f1 /proc/uptime)

# An instance running sh -c SCRIPT with the canary probe beside it; the
# probe's verdict is the last line of $run/probe.txt.
in_instance() { # PROBE_UID SCRIPT
	instfork --keep-cap all -- /bin/sh -c "
		$tool runas $1 $tool canary-probe $canary $((secs + 5)) >$run/probe.txt 2>&1 &
		probe=\$!
		$2
		rc=\$?
		wait \$probe || rc=99
		exit \$rc"
}
probe_verdict() {
	if grep -q 'LEAK' $run/probe.txt || ! grep -q ', 0 leaks' $run/probe.txt; then
		notok "canary seen from inside: $(grep -m3 LEAK $run/probe.txt)"
	else
		ok "$(tail -1 $run/probe.txt)"
	fi
}

STRESS_NG_ROOT="--fork 2 --clone 2 --kill 2 --pthread 2 --sem 2 --sem-sysv 2 --shm 1 --shm-sysv 1 \
	--msg 2 --mq 2 --futex 2 --vfork 1 --wait 1 --sigq 1 --prctl 1 --zombie 1 --session 1"

case "$stage" in
stress-ng)
	# As root inside (the instance's default capabilities and more).
	in_instance 0 "stress-ng $STRESS_NG_ROOT --timeout ${secs}s --metrics-brief --oom-avoid 2>&1" >$out 2>&1
	rc=$?
	grep -E 'stress-ng: (info|fail|error).*(passed|failed|skipped|metrc|stressor)|bogo ops|^stress-ng: .* (fork|clone|kill|pthread|sem|shm|msg|mq|futex|vfork|wait|sigq|prctl|zombie|session) ' $out |
		sed 's/^/# /' | head -40
	[ $rc = 0 ] && ok "stress-ng exited 0" || { notok "stress-ng exited $rc"; tail -20 $out | sed 's/^/#   /'; }
	probe_verdict
	;;
stress-ng-nobody)
	# exec refuses to run as root; the others again, without privilege.
	mkdir -p $run/nobody && chown 65534:65534 $run/nobody
	in_instance 65534 "cd $run/nobody && $tool runas 65534 stress-ng --exec 2 --fork 2 --clone 1 \
		--kill 1 --sem 1 --shm-sysv 1 --msg 1 --mq 1 --futex 1 --timeout ${secs}s \
		--metrics-brief --oom-avoid 2>&1" >$out 2>&1
	rc=$?
	grep -E 'stress-ng: (info|fail|error)' $out | sed 's/^/# /' | head -30
	[ $rc = 0 ] && ok "stress-ng as uid 65534 exited 0" ||
		{ notok "stress-ng as uid 65534 exited $rc"; tail -20 $out | sed 's/^/#   /'; }
	probe_verdict
	;;
trinity)
	# trinity wants a writable cwd it may fill: a small tmpfs of its own.
	mkdir -p $run/trinity
	grep -q " $run/trinity " /proc/mounts || mount -t tmpfs -o size=32m,mode=0777 tmpfs $run/trinity
	# SIGINT makes trinity stop its children and report. The probe runs as
	# root: trinity's random kill(-1, ...) as nobody would end a nobody
	# probe, and a signal of trinity's reaching the canary (one tree runs
	# as nobody) is logged by the canary itself.
	# trinity is the sh's child, so that the sh (root, the first process)
	# outlives it: if trinity does not stop on SIGINT within 30 s it gets
	# SIGKILL, and the sh's exit ends the instance with all it left behind.
	in_instance 0 "cd $run/trinity
		$tool runas 65534 trinity -q -C 4 -l off --stats --disable-fds=sockets,perf,pseudo,drm \\
			>$run/trinity.txt 2>&1 &
		t=\$!
		sleep $secs
		kill -INT \$t
		i=0
		while kill -0 \$t 2>/dev/null && [ \$i -lt 30 ]; do sleep 1; i=\$((i + 1)); done
		kill -0 \$t 2>/dev/null && echo 'trinity ignored SIGINT for 30 s: SIGKILL' && kill -KILL \$t
		wait \$t
		echo trinity exited \$?
		true" >$out 2>&1
	rc=$?
	cat $run/trinity.txt >>$out
	grep -E -i 'iterations|syscalls|Ran |error|kernel|taint|exited|SIGKILL' $out | tail -20 | sed 's/^/# /'
	grep -c . $out | sed 's/^/# trinity output lines: /'
	# trinity's start-up (its fd pools) takes seconds under TCG: a run too
	# short to reach the system calls is a failure, not a pass.
	calls=$(sed -n 's/.*Ran \([0-9]*\) syscalls.*/\1/p' $out | tail -1)
	if [ $rc = 0 ] && [ "${calls:-0}" -gt 0 ]; then
		ok "trinity ran $calls system calls in ${secs}s"
	else
		notok "trinity: instance exit status $rc, ${calls:-no} system calls"
		tail -20 $out | sed 's/^/#   /'
	fi
	probe_verdict
	umount $run/trinity 2>/dev/null
	;;
churn)
	mult_churn "$secs" 2 4 >$out 2>&1
	rc=$?
	sed 's/^/# /' $out | head -30
	[ $rc = 0 ] && ok "mult_churn: no unexpected error" || notok "mult_churn exited $rc"
	;;
module)
	# rmmod/insmod while instances come and go, watch listens and dumps
	# run. rmmod fails with EBUSY while a dump holds the module: counted.
	(while [ ! -e $run/module.stop ]; do inst-run sh -c 'usleep 20000 & usleep 50000' 2>/dev/null; done) &
	load=$!
	(while [ ! -e $run/module.stop ]; do instctl list >/dev/null 2>&1; instctl --json ps 1 >/dev/null 2>&1; done) &
	dumps=$!
	cycles=0; busy=0; unloaded=0; watch_ok=0; watch_bad=0; watch_quiet=0; watch_stuck=0; events=0
	end=$(($(cut -d. -f1 /proc/uptime) + secs))
	rm -f $run/module.stop
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		cycles=$((cycles + 1))
		module_loaded || insmod $ko || { notok "insmod failed in cycle $cycles"; break; }
		# Right after insmod, while instances come and go: watch must
		# subscribe (issue #15: an event arriving during its look-up of
		# the controller's group made it fail) and then see events.
		instctl watch >$run/watch.out 2>$run/watch.err &
		w=$!
		i=0
		while [ ! -s $run/watch.out ] && kill -0 $w 2>/dev/null && [ $i -lt 100 ]; do
			usleep 50000; i=$((i + 1))
		done
		if grep -q 'multicast group' $run/watch.err; then
			watch_bad=$((watch_bad + 1))
			echo "# watch after insmod: $(head -1 $run/watch.err)"
		elif [ -s $run/watch.out ]; then
			watch_ok=$((watch_ok + 1))
		else
			# No event within 5 s (a slow host): nothing to judge.
			watch_quiet=$((watch_quiet + 1))
		fi
		tries=0
		until rmmod mult_mgmt 2>/dev/null; do
			busy=$((busy + 1)); tries=$((tries + 1))
			# A reference that is never dropped fails the check; a slow
			# host must not: 30 s of retries.
			[ $tries -ge 3000 ] && break
			usleep 10000
		done
		module_loaded || unloaded=$((unloaded + 1))
		# watch notices the unload (the controller's notify group) and exits.
		i=0
		while kill -0 $w 2>/dev/null && [ $i -lt 100 ]; do usleep 100000; i=$((i + 1)); done
		if kill -0 $w 2>/dev/null; then
			watch_stuck=$((watch_stuck + 1))
			kill $w
		fi
		wait $w
		events=$((events + $(grep -c . $run/watch.out)))
	done
	touch $run/module.stop
	wait $load $dumps
	load_module
	echo "# module: $cycles cycles, $unloaded unloads, $busy rmmod EBUSY retries, watch subscribed and saw events $watch_ok times ($watch_bad failed to subscribe, $watch_quiet saw no event within 5 s), $events events seen"
	[ $unloaded = $cycles ] && ok "module unloaded in each of $cycles cycles" ||
		notok "module stayed loaded in $((cycles - unloaded)) of $cycles cycles"
	[ $watch_bad = 0 ] && ok "instctl watch subscribed right after each insmod" ||
		notok "instctl watch failed right after insmod $watch_bad times"
	[ $watch_stuck = 0 ] && ok "instctl watch ended at each unload" ||
		notok "instctl watch still running 10 s after the unload, $watch_stuck times"
	;;
nlfuzz)
	half=$(((secs + 1) / 2))
	mult_nlfuzz $half >$out 2>&1; rc1=$?
	mult_nlfuzz $half --as-nobody >>$out 2>&1; rc2=$?
	sed 's/^/# /' $out
	[ $rc1 = 0 ] && ok "netlink fuzzing as root" || notok "netlink fuzzing as root: exit $rc1"
	[ $rc2 = 0 ] && ok "netlink fuzzing as uid 65534" || notok "netlink fuzzing as uid 65534: exit $rc2"
	;;
limits)
	$tool limits >$out 2>&1; rc=$?
	sed 's/^/# /' $out
	[ $rc = 0 ] && ok "limits reached and recovered" || notok "limits"
	;;
pids-max)
	# A fork bomb under --pids-max 64: it stops at 64, the host still forks,
	# and the cgroup is gone with the instance.
	before=$(ls -d /sys/fs/cgroup/instfork-* 2>/dev/null | wc -l)
	instfork --pids-max 64 -- $tool forkbomb 5 >$out 2>&1 &
	bomb=$!
	i=0
	while ! grep -q 'forkbomb:' $out && [ $i -lt 600 ]; do usleep 100000; i=$((i + 1)); done
	sed 's/^/# /' $out
	count=$(sed -n 's/^forkbomb: \([0-9]*\) processes.*/\1/p' $out)
	if [ -n "$count" ] && [ "$count" -le 64 ] && [ "$count" -ge 60 ] && grep -q 'Resource temporarily unavailable' $out; then
		ok "fork bomb capped at $count of pids.max 64 (EAGAIN)"
	else
		notok "fork bomb under pids.max 64: '${count:-no report}'"
	fi
	check "the host forks 200 processes while the bomb holds" $tool forkn 200
	wait $bomb
	echo "# instfork exited $?"
	after=$(ls -d /sys/fs/cgroup/instfork-* 2>/dev/null | wc -l)
	[ "$after" = "$before" ] && ok "instfork removed its cgroup" ||
		notok "instfork cgroups left: $(ls -d /sys/fs/cgroup/instfork-*)"
	# Without a cgroup2 hierarchy: status 125 and the reason, no instance.
	unshare -m sh -c 'umount /sys/fs/cgroup && exec instfork --pids-max 5 -- true' >$run/nocg.txt 2>&1
	rc=$?
	if [ $rc = 125 ] && grep -q 'no cgroup v2 hierarchy at /sys/fs/cgroup' $run/nocg.txt; then
		ok "--pids-max without cgroup2: 125, $(head -1 $run/nocg.txt)"
	else
		notok "--pids-max without cgroup2: status $rc, '$(head -1 $run/nocg.txt)'"
	fi
	;;
pid-exhaust)
	# No limit: the bomb takes every pid; the host cannot fork meanwhile
	# (the reason for --pids-max), and ending the instance tears down
	# thousands of processes at once.
	inst-run $tool forkbomb 10 >$out 2>&1 &
	bomb=$!
	i=0
	while ! grep -q 'forkbomb:' $out && [ $i -lt 1800 ]; do usleep 100000; i=$((i + 1)); done
	sed 's/^/# /' $out
	if $tool forkn 20 >$run/forkn.txt 2>&1; then
		echo "# the host forked 20 processes during the bomb: $(cat $run/forkn.txt)"
	else
		echo "# as expected without a limit, the host could not fork: $(cat $run/forkn.txt)"
	fi
	t0=$(cut -d. -f1 /proc/uptime)
	wait $bomb
	echo "# the bomb's instance ended; teardown and reaping took $(($(cut -d. -f1 /proc/uptime) - t0 - 10)) s after its 10 s hold"
	grep -q 'forkbomb:' $out && ok "fork bomb ran to exhaustion" || notok "fork bomb reported nothing"
	check "the host forks again afterwards" $tool forkn 50
	;;
*)
	echo "stress.sh: unknown stressor '$stage'" >&2
	exit 2
	;;
esac
echo "# $stage: $(($(cut -d. -f1 /proc/uptime) - start)) s"
post_checks
exit $failed
