#!/bin/sh
# The guest side of `make demo`: one instance started with a fork-like call,
# and what each side of the boundary sees. Pids are the global ones.
# Each claim the story makes is checked: one that does not hold prints a
# '!!' line and a DEMO-FAIL line on the result channel, and scripts/demo.sh
# fails unless the run ends with DEMO-OK.
exec 2>&1
hr() { echo; echo "== $*"; }
failed=0
bad() {
	echo "   !! NOT AS EXPECTED: $*"
	echo "DEMO-FAIL $*" >>/dev/ttyS1
	failed=1
}

hr "kernel $(uname -r); mult limits: max_depth=$(cat /proc/sys/kernel/mult/max_depth)" \
	"max_instances=$(cat /proc/sys/kernel/mult/max_instances)" \
	"live instances=$(cat /proc/sys/kernel/mult/nr_instances)"

sleep 600 &
outside=$!
echo "root instance: started 'sleep 600' as pid $outside (a process outside the instance)"

hr "instfork -- sh -c ...: clone3(CLONE_NEWINST) starts a shell in a new instance; it starts two sleeps"
rm -f /tmp/ready /tmp/go /tmp/leak
instfork -- sh -c '
	sleep 601 & sleep 602 &
	echo "[inside]  my pid is $$ (global number), getppid() reads $PPID: my creator is invisible"
	echo "[inside]  session id $(cut -d" " -f6 /proc/self/stat), process group $(cut -d" " -f5 /proc/self/stat): a session of my own"
	echo "[inside]  ps ax sees only the instance:"
	ps -o pid,ppid,comm | sed "s/^/[inside]    /"
	printf "[inside]  kill -0 %s (the outside sleep): " '"$outside"'
	! kill -0 '"$outside"' 2>&1 || echo "kill -0 reached the outside sleep" >>/tmp/leak
	printf "[inside]  ls /proc/1 (init): "
	! ls -d /proc/1 2>&1 || echo "/proc/1 (init) is visible inside" >>/tmp/leak
	[ "$PPID" = 0 ] || echo "getppid() inside read $PPID, not 0" >>/tmp/leak
	echo ready >/tmp/ready
	while [ ! -e /tmp/go ]; do sleep 0.2; done
' &
creator=$!
while [ ! -e /tmp/ready ]; do sleep 0.2; done
if [ -s /tmp/leak ]; then
	while read -r what; do bad "inside: $what"; done </tmp/leak
fi

hr "the root instance looks at the same machine"
echo "[outside] ps ax, kernel threads left out (the instance's shell and sleeps are absent):"
ps -o pid,ppid,comm | awk '$1 != 2 && $2 != 2' | sed 's/^/[outside]   /'
echo "[outside] instfork is pid $creator; its child, the instance's shell, is visible to it alone"
hidden=$(ps -o args | grep -c '^sleep 60[12]')
echo "[outside] 'sleep 601' and 'sleep 602' in ps: $hidden found (hidden)"
[ "$hidden" = 0 ] || bad "the instance's sleeps are visible outside"
live=$(cat /proc/sys/kernel/mult/nr_instances)
echo "[outside] live instances: $live"
[ "$live" -ge 1 ] || bad "no live instance while the shell runs"

hr "the first process exits: the instance is torn down with it"
touch /tmp/go
wait $creator
sleep 1
live=$(cat /proc/sys/kernel/mult/nr_instances)
echo "[outside] live instances after exit: $live"
[ "$live" = 0 ] || bad "$live instance(s) left after the first process exited"
kill $outside

hr "a network service in an instance, as an administrator runs one"
if ! grep -q '^mult_mgmt ' /proc/modules; then
	insmod /lib/modules/mult_mgmt.ko && echo "[admin]   insmod mult_mgmt.ko: the management module (instctl talks to it over generic netlink)"
fi
ip link set lo up
mkdir -p /srv/www
echo "hello from busybox httpd, inside instance 'web'" >/srv/www/index.html
echo "[admin]   instfork --name web --detach -- httpd -f -p 127.0.0.1:8080 -h /srv/www"
# --detach prints "PID ID" (the first process, the instance) on one line;
# httpd keeps the same stdout, so it goes to a file (a $(...) pipe would
# wait for httpd to close it).
instfork --name web --detach -- httpd -f -p 127.0.0.1:8080 -h /srv/www >/tmp/web.out 2>/tmp/web.err
read -r web webid </tmp/web.out
echo "[admin]   -> instance ${webid:-?}, first process httpd with pid $web; instfork has returned"
tries=0
until wget -q -O /tmp/page http://127.0.0.1:8080/ 2>/dev/null || [ $tries -ge 50 ]; do
	tries=$((tries + 1)); sleep 0.2
done
echo "[outside] wget http://127.0.0.1:8080/ over loopback: $(cat /tmp/page 2>/dev/null || echo 'NO ANSWER')"
grep -q "inside instance 'web'" /tmp/page 2>/dev/null || bad "the service in instance 'web' did not answer ($(cat /tmp/web.err 2>/dev/null))"
shown=$(ps -o comm | grep -c '^httpd$')
echo "[outside] ps lists httpd: $shown time(s) (the service is invisible here)"
[ "$shown" = 0 ] || bad "httpd is visible outside its instance"
printf "[outside] kill -0 %s: " "$web"
! kill -0 "$web" 2>&1 || bad "kill -0 reached httpd (pid $web) from outside"

hr "the administrator's view: instctl, through the management module"
echo "[admin]   instctl list"
instctl list >/tmp/out || bad "instctl list failed"
sed 's/^/[admin]     /' /tmp/out
echo "[admin]   instctl ps web"
instctl ps web >/tmp/out || bad "instctl ps web failed"
sed 's/^/[admin]     /' /tmp/out
grep -q httpd /tmp/out || bad "instctl ps web does not show httpd"
echo "[admin]   instctl exec web -- ps -o pid,ppid,comm   (a process started inside the running instance)"
instctl exec web -- ps -o pid,ppid,comm >/tmp/out || bad "instctl exec web failed"
sed 's/^/[inside]    /' /tmp/out
grep -q httpd /tmp/out || bad "ps inside instance 'web' does not show httpd"
echo "[admin]   instctl --json list   (for scripts)"
instctl --json list | sed 's/^/[admin]     /'

hr "instctl kill web: every process of the instance, at once"
if instctl kill web; then echo "[admin]   instctl kill web: SIGTERM sent"; else bad "instctl kill web failed"; fi
tries=0
while instctl ps web >/dev/null 2>&1 && [ "$(instctl ps web | wc -l)" -gt 1 ] && [ $tries -lt 50 ]; do
	tries=$((tries + 1)); sleep 0.2
done
if wget -q -O /tmp/page2 http://127.0.0.1:8080/ 2>/dev/null; then
	echo "[outside] wget http://127.0.0.1:8080/: STILL ANSWERS"
	bad "the service still answers after instctl kill web"
else
	echo "[outside] wget http://127.0.0.1:8080/: no answer, the service is gone"
fi
sleep 1
echo "[admin]   instctl list after the kill:"
instctl list | sed 's/^/[admin]     /'
[ $failed = 0 ] && echo "DEMO-OK" >>/dev/ttyS1
