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
echo "[outside] ps lists httpd: $(ps -o comm | grep -c '^httpd$') time(s) (the service is invisible here)"
printf "[outside] kill -0 %s: " "$web"; kill -0 "$web" 2>&1 || true

hr "the administrator's view: instctl, through the management module"
echo "[admin]   instctl list"
instctl list | sed 's/^/[admin]     /'
echo "[admin]   instctl ps web"
instctl ps web | sed 's/^/[admin]     /'
echo "[admin]   instctl exec web -- ps -o pid,ppid,comm   (a process started inside the running instance)"
instctl exec web -- ps -o pid,ppid,comm | sed 's/^/[inside]    /'
echo "[admin]   instctl --json list   (for scripts)"
instctl --json list | sed 's/^/[admin]     /'

hr "instctl kill web: every process of the instance, at once"
instctl kill web && echo "[admin]   instctl kill web: SIGTERM sent"
tries=0
while instctl ps web >/dev/null 2>&1 && [ "$(instctl ps web | wc -l)" -gt 1 ] && [ $tries -lt 50 ]; do
	tries=$((tries + 1)); sleep 0.2
done
if wget -q -O /tmp/page2 http://127.0.0.1:8080/ 2>/dev/null; then
	echo "[outside] wget http://127.0.0.1:8080/: STILL ANSWERS"
else
	echo "[outside] wget http://127.0.0.1:8080/: no answer, the service is gone"
fi
sleep 1
echo "[admin]   instctl list after the kill:"
instctl list | sed 's/^/[admin]     /'
