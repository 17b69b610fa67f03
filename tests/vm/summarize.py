#!/usr/bin/env python3
"""Judge a guest test run from its result channel and console log.

The run passes only if the guest reported completion (MULT-DONE), every
planned test ended with status 0 (or is an expected failure listed with its
reason), kmemleak found nothing, and the console shows no kernel warning,
bug, lockdep splat or KASAN report. Prints a table and a closing line
'vm: N passed, N failed, N skipped'; exits 1 on any failure.
"""
import re
import sys
from pathlib import Path

KERNEL_TROUBLE = re.compile(
    r"WARNING:|BUG:|Kernel panic|Oops|general protection|"
    r"possible (circular|recursive) locking|inconsistent lock state|"
    r"suspicious RCU usage|KASAN|UBSAN|Call Trace:|hung_task|soft lockup|"
    # RCU stall reports and hung tasks by their own words: a stall report
    # need not carry a Call Trace (a starved grace-period kthread).
    r"rcu.*(detected stall|self-detected stall|kthread starved)|blocked for more than")
KSFT_SKIP = 4


def load_xfail(path):
    xfail = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        ctx, test, reason = line.split(None, 2)
        xfail[(ctx, test)] = reason
    return xfail


def read_vm_record(logdir):
    """The boots tests/vm/run-qemu.sh made: accelerator, CPUs, outcome."""
    boots = []
    path = logdir / "vm.txt"
    if not path.exists():
        return boots
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("accel="):
            head, _, reason = line.partition(" reason=")
            boot = dict(kv.split("=", 1) for kv in head.split())
            boot["reason"] = reason
            boots.append(boot)
        elif line.startswith("outcome=") and boots:
            boots[-1].update(kv.split("=", 1) for kv in line.split() if "=" in kv)
    return boots


def main():
    logdir, xfail_file = Path(sys.argv[1]), sys.argv[2]
    xfail = load_xfail(xfail_file)
    results = (logdir / "results.txt").read_text(errors="replace").replace("\r", "")
    console = (logdir / "console.log").read_text(errors="replace") if (logdir / "console.log").exists() else ""

    passed, failed, skipped, notes = [], [], [], []
    open_test, done, leaks = None, False, 0
    durations = []
    totals = dict(pass_=0, fail=0, skip=0)
    for line in results.splitlines():
        if line.startswith("MULT-TEST-BEGIN "):
            open_test = tuple(line.split()[1:3])
        elif line.startswith("MULT-TEST-END "):
            _, test, ctx, rc, *secs = line.split()
            rc = int(rc)
            durations.append((int(secs[0]) if secs else 0, f"{test} [{ctx}]"))
            open_test = None
            name = f"{test} [{ctx}]"
            reason = xfail.get((ctx, test)) or xfail.get(("any", test))
            if rc == 0:
                passed.append(name)
                if reason:
                    notes.append(f"XPASS {name}: listed as expected failure ({reason}) but passed")
            elif reason:
                skipped.append(f"{name}: expected failure (rc={rc}): {reason}")
            elif rc == KSFT_SKIP and not test.startswith("mult/"):
                skipped.append(f"{name}: skipped by the test itself (see results.txt)")
            else:
                failed.append(f"{name}: exit status {rc}" + (" (timeout)" if rc == 137 else ""))
        elif line.startswith("# Totals:"):
            m = re.search(r"pass:(\d+) fail:(\d+).*skip:(\d+)", line)
            if m:
                totals["pass_"] += int(m.group(1))
                totals["fail"] += int(m.group(2))
                totals["skip"] += int(m.group(3))
        elif line.startswith("MULT-KMEMLEAK "):
            leaks = int(line.split()[1])
        elif line.startswith("MULT-DONE"):
            done = True

    if open_test:
        failed.append(f"{open_test[0]} [{open_test[1]}]: started but never ended (guest died?)")
    boots = read_vm_record(logdir)
    if not done:
        last = boots[-1] if boots else {}
        if last.get("outcome") == "silent":
            failed.append(f"guest: printed nothing on {last.get('accel', '?')}: its kernel never ran "
                          f"(stopped after {last.get('seconds', '?')} s); see {logdir / 'vm.txt'}")
        elif last.get("outcome") == "timeout":
            failed.append(f"guest: never reported completion: timed out after {last.get('seconds', '?')} s "
                          f"on {last.get('accel', '?')}; see {logdir / 'console.log'}")
        else:
            failed.append("guest: never reported completion (panic, WARN with panic_on_warn, or timeout); "
                          f"see {logdir / 'console.log'}")
    if leaks:
        failed.append(f"kmemleak: {leaks} unreferenced object(s), see {logdir / 'results.txt'}")
    trouble = [l for l in console.splitlines() if KERNEL_TROUBLE.search(l)]
    if trouble:
        failed.append("kernel log: " + "; ".join(t.strip() for t in trouble[:5]))

    for boot in boots:
        print(f"  boot  {boot.get('accel', '?')} with {boot.get('cpus', '?')} CPUs ({boot.get('reason', '')}): "
              f"{boot.get('outcome', 'unknown')} after {boot.get('seconds', '?')} s")
    slowest = sorted(durations, reverse=True)[:5]
    if slowest and slowest[0][0]:
        print("  slowest: " + ", ".join(f"{name} {secs}s" for secs, name in slowest))
    for name in skipped:
        print(f"  skip  {name}")
    for name in failed:
        print(f"  FAIL  {name}")
    for n in notes:
        print(f"  note  {n}")
    print(f"vm: {len(passed)} test programs passed; subtests: {totals['pass_']} passed, "
          f"{totals['fail']} failed, {totals['skip']} skipped (from the TAP totals)")
    print(f"vm: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
