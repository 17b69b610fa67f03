#!/bin/sh
# The guest side of `make demo`: one instance started with a fork-like call,
# and what each side of the boundary sees. Pids are the global ones.
exec 2>&1
hr() { echo; echo "== $*"; }

hr "kernel $(uname -r); mult limits: max_depth=$(cat /proc/sys/kernel/mult/max_depth)" \
	"max_instances=$(cat /proc/sys/kernel/mult/max_instances)" \
	"live instances=$(cat /proc/sys/kernel/mult/nr_instances)"

sleep 600 &
outside=$!
echo "root instance: started 'sleep 600' as pid $outside (a process outside the instance)"

hr "instfork -- sh -c ...: clone3(CLONE_NEWINST) starts a shell in a new instance; it starts two sleeps"
rm -f /tmp/ready /tmp/go
instfork -- sh -c '
	sleep 601 & sleep 602 &
	echo "[inside]  my pid is $$ (global number), getppid() reads $PPID: my creator is invisible"
	echo "[inside]  session id $(cut -d" " -f6 /proc/self/stat), process group $(cut -d" " -f5 /proc/self/stat): a session of my own"
	echo "[inside]  ps ax sees only the instance:"
	ps -o pid,ppid,comm | sed "s/^/[inside]    /"
	printf "[inside]  kill -0 %s (the outside sleep): " '"$outside"'
	kill -0 '"$outside"' 2>&1 || true
	printf "[inside]  ls /proc/1 (init): "; ls -d /proc/1 2>&1 || true
	echo ready >/tmp/ready
	while [ ! -e /tmp/go ]; do sleep 0.2; done
' &
creator=$!
while [ ! -e /tmp/ready ]; do sleep 0.2; done

hr "the root instance looks at the same machine"
echo "[outside] ps ax, kernel threads left out (the instance's shell and sleeps are absent):"
ps -o pid,ppid,comm | awk '$1 != 2 && $2 != 2' | sed 's/^/[outside]   /'
echo "[outside] instfork is pid $creator; its child, the instance's shell, is visible to it alone"
echo "[outside] 'sleep 601' and 'sleep 602' in ps: $(ps -o args | grep -c '^sleep 60[12]') found (hidden)"
echo "[outside] live instances: $(cat /proc/sys/kernel/mult/nr_instances)"

hr "the first process exits: the instance is torn down with it"
touch /tmp/go
wait $creator
sleep 1
echo "[outside] live instances after exit: $(cat /proc/sys/kernel/mult/nr_instances)"
kill $outside
