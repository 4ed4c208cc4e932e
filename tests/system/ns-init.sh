# SPDX-License-Identifier: MIT
# tests/system/ns-init.sh DIR: runs as the first process of fresh pid, mount,
# net and cgroup namespaces (see ns.sh); builds the root under DIR/root,
# makes it the root of the mount namespace and execs systemd there. Every
# mount here dies with the mount namespace.
set -eu
B=$1
R=$B/root

ip link set lo up
mount -t overlay overlay -o lowerdir=/,upperdir="$B/upper",workdir="$B/work" "$R"
mount -t proc proc "$R/proc"

# /sys read-only: systemd-udevd and udev-trigger skip themselves, so nothing
# inside can send uevents to the host's devices.
mount --rbind /sys "$R/sys"
mount -o remount,bind,ro "$R/sys"
# cgroup v2 mounted inside the cgroup namespace: rooted at our own cgroup.
mount -t cgroup2 -o nsdelegate cgroup2 "$R/sys/fs/cgroup"

# A private /dev: a devtmpfs or a bind of the host's /dev would let the
# guest create /dev/log and friends on the host.
mount -t tmpfs -o mode=755,nosuid tmpfs "$R/dev"
for n in null zero full random urandom tty; do
	: >"$R/dev/$n"
	mount --bind "/dev/$n" "$R/dev/$n"
done
mkdir "$R/dev/pts" "$R/dev/shm" "$R/dev/mqueue"
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$R/dev/pts"
ln -s pts/ptmx "$R/dev/ptmx"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
: >"$R/dev/console"
mount --bind "$B/console.log" "$R/dev/console"
# kmsg would reach the host's kernel log: give journald nothing to read.
: >"$R/dev/kmsg"
mount --bind /dev/null "$R/dev/kmsg"

# Private /run and /tmp: systemd-tmpfiles cleans /tmp at boot.
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"

# No console login in a test: console-getty would restart for ever.
ln -sf /dev/null "$R/etc/systemd/system/console-getty.service"

# pivot_root, not chroot: a chrooted process may not create user
# namespaces, and the units use PrivateUsers=yes as a real host allows.
mkdir -p "$R/run/oldroot"
cd "$R"
pivot_root . run/oldroot
umount -l /run/oldroot
rmdir /run/oldroot
# Shared inside this namespace, as systemd makes it on a host (it does not
# in a container): credentials and PrivateTmp= mounts are made in a child
# namespace and must propagate back. The host's mounts are in another
# namespace and stay untouched.
mount --make-rshared /

# Tell systemd it is in a container (no getty, no hardware units); its own
# log goes to the journal, so journalctl -u shows unit state changes.
exec /usr/bin/env -i container=quetzal-system-test \
    /lib/systemd/systemd --system --log-target=journal-or-kmsg --log-level=info
