# Sourced by the systemd guest's scripts (payload/run.sh, ../demo.sh), from
# the payload disk mounted on /mult.
# wait_for SECONDS COMMAND...: until COMMAND succeeds, polled every 0.2 s;
# status 1 if it has not after SECONDS.
wait_for() {
	t=$1; shift
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $((t * 5)) ] && return 1
		sleep 0.2
	done
}
