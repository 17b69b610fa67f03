#!/usr/bin/env bash
# The systemd guest's root filesystem: Debian 12 (systemd 252, OpenSSH) from
# Debian's packages with mmdebstrap, made into an ext4 image with
# `mke2fs -d` (no mount, no loop device). The image is cached under BUILD_DIR
# keyed on the package list and this script (which bakes in the guest's
# configuration), so a second run costs nothing. The mult binaries and the
# tests are not in it: they come on a second, small disk made per run
# (mkpayload.sh), so rebuilding them never rebuilds the root.
#
# Usage: mkroot.sh BUILD_DIR   prints the image's path on stdout
set -euo pipefail
build=${1:?usage: mkroot.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
packages=systemd,systemd-sysv,openssh-server,openssh-client,procps,kmod
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
key=$( (echo "$packages $suite"; cat "$here/mkroot.sh" "$here/mult-test.service") | sha256sum | cut -c1-16)
out=$build/svc/root-$key.img
if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi
command -v mmdebstrap >/dev/null || { echo "mkroot: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 1; }
mkdir -p "$build/svc"
dir=$build/svc/root-$key.d
rm -rf "$dir" "$out.tmp"

# The guest's configuration, applied to the unpacked tree before the image
# is made. Every unit a test guest does not need is masked: each one costs
# seconds under TCG on a debug kernel.
cat >"$build/svc/customize.sh" <<'HOOK'
#!/bin/sh
set -eu
root=$1
echo mult-systemd >"$root/etc/hostname"
: >"$root/etc/fstab"
for u in getty@.service serial-getty@.service console-getty.service \
	systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
	systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service \
	systemd-timesyncd.service systemd-logind.service systemd-networkd.service \
	apt-daily.timer apt-daily-upgrade.timer man-db.timer dpkg-db-backup.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-tmpfiles-clean.timer \
	systemd-pstore.service systemd-firstboot.service \
	systemd-machine-id-commit.service ldconfig.service systemd-update-utmp.service \
	systemd-update-utmp-runlevel.service sys-kernel-tracing.mount sys-kernel-config.mount \
	sys-fs-fuse-connections.mount dev-hugepages.mount dev-mqueue.mount \
	systemd-remount-fs.service systemd-binfmt.service proc-sys-fs-binfmt_misc.automount \
	modprobe@.service systemd-modules-load.service kmod-static-nodes.service \
	systemd-sysusers.service systemd-sysctl.service systemd-tmpfiles-setup-dev.service \
	sys-kernel-debug.mount systemd-journal-flush.service systemd-journal-catalog-update.service \
	systemd-update-done.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# The emulated CPU has no RDRAND and the guest no hardware RNG: without a
# credited seed, getrandom() (sshd, ssh) blocks for minutes until the
# kernel's pool is ready. Every boot of the (snapshot) image uses the same
# seed, which is good enough for a test guest and nothing else.
head -c 512 /dev/urandom >"$root/var/lib/systemd/random-seed"
chmod 0600 "$root/var/lib/systemd/random-seed"
mkdir -p "$root/etc/systemd/system/systemd-random-seed.service.d"
printf '[Service]\nEnvironment=SYSTEMD_RANDOM_SEED_CREDIT=force\n' \
	>"$root/etc/systemd/system/systemd-random-seed.service.d/credit.conf"
# ssh is started by the tests, as a service instance.
rm -f "$root/etc/systemd/system/multi-user.target.wants/ssh.service" \
	"$root/etc/systemd/system/sshd.service"
# The machine id is fixed so that first boot does no setup.
echo 6d756c7473797374656d640000000001 >"$root/etc/machine-id"
# No IPv6 in the test kernel: sshd listens on IPv4 only, and says so.
echo 'AddressFamily inet' >"$root/etc/ssh/sshd_config.d/mult-test.conf"
# A user who logs in over ssh with a key; root's client holds the key.
chroot "$root" useradd -m -s /bin/bash tester
chroot "$root" passwd -d root >/dev/null
mkdir -p "$root/root/.ssh" "$root/home/tester/.ssh"
ssh-keygen -q -t ed25519 -N '' -C tester -f "$root/root/.ssh/id_tester"
cp "$root/root/.ssh/id_tester.pub" "$root/home/tester/.ssh/authorized_keys"
chroot "$root" chown -R tester:tester /home/tester/.ssh
chmod 700 "$root/root/.ssh" "$root/home/tester/.ssh"
printf 'Host 127.0.0.1\n\tStrictHostKeyChecking no\n\tUserKnownHostsFile /dev/null\n\tLogLevel ERROR\n\tIdentityFile /root/.ssh/id_tester\n\tBatchMode yes\n' >"$root/root/.ssh/config"
mkdir -p "$root/mult"
HOOK
chmod +x "$build/svc/customize.sh"

echo "[systemd-guest] building the Debian $suite root ($packages) with mmdebstrap; cached as $out" >&2
mmdebstrap --variant=minbase --include="$packages" \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
	--customize-hook="$build/svc/customize.sh \"\$1\"" \
	--customize-hook="install -m 0644 '$here/mult-test.service' \"\$1/etc/systemd/system/mult-test.service\"" \
	--customize-hook="ln -sf /etc/systemd/system/mult-test.service \"\$1/etc/systemd/system/multi-user.target.wants/mult-test.service\"" \
	"$suite" "$dir" "$mirror" >&2
# 1 GiB, sparse: the root is about 250 MB; the tests write little.
mke2fs -q -t ext4 -L mult-root -d "$dir" "$out.tmp" 1G >&2
rm -rf "$dir"
mv "$out.tmp" "$out"
echo "$out"
