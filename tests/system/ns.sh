# SPDX-License-Identifier: MIT
# tests/system/ns.sh: boot a real systemd in its own pid, mount, net and
# cgroup namespaces on a copy-on-write overlay of this machine's root
# (../shared/notes/systemd-in-namespace.md), run commands in it, tear it down.
# Sourced by tests/system/run.sh; bash only.
#
# What it touches on the host, and gives back in ns_down:
#   $NS_DIR           overlay upper/work dirs, logs (a mktemp -d)
#   $NS_CGROUP        one cgroup v2 directory under the host's unified
#                     hierarchy, so the inner systemd creates its slices
#                     there and not in the host's root cgroup
#   $NS_UNSHARE_PID   the unshare process; $NS_PID, the inner systemd (PID 1
#                     inside: killing it kills everything in the namespace)
# Nothing else: /dev, /run and /tmp inside are private tmpfs, /sys is
# read-only (no udev inside), the console is a plain file.

NS_DIR=
NS_PID=
NS_UNSHARE_PID=
NS_CGROUP=
NS_LEFTOVERS=0		# set by ns_down when it could not remove something

# ns_skip_reason: print why this machine cannot run the suite, or nothing.
ns_skip_reason()
{
	local d ok

	if [ "$(id -u)" != 0 ]; then
		echo "needs root (unshare, mount, pivot_root)"; return
	fi
	for c in unshare nsenter pivot_root ip mount; do
		command -v "$c" >/dev/null 2>&1 || { echo "needs $c"; return; }
	done
	[ -x /lib/systemd/systemd ] || { echo "needs systemd installed"; return; }
	ns_unified >/dev/null || {
		echo "needs a cgroup v2 (unified) hierarchy mounted"; return; }
	d=$(mktemp -d /tmp/quetzal-probe.XXXXXX) || { echo "mktemp failed"; return; }
	mkdir "$d/l" "$d/u" "$d/w" "$d/m"
	ok=$(unshare --mount --pid --fork --net --cgroup --propagation private \
	    sh -c 'mount -t overlay overlay -o lowerdir=/,upperdir='"$d"'/u,workdir='"$d"'/w '"$d"'/m && echo yes' 2>&1)
	rm -rf "$d"
	case $ok in
	yes) ;;
	*) echo "unshare or overlayfs refused: ${ok:-no output}";;
	esac
}

# ns_unified: the mount point of the host's cgroup v2 hierarchy.
ns_unified()
{
	awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo | grep .
}

# ns_up: boot systemd; 0 when it reports running or degraded within $1
# seconds (default 60), else 1 (the caller still calls ns_down).
ns_up()
{
	local limit=${1:-60} uni cur i st

	NS_DIR=$(mktemp -d /tmp/quetzal-system.XXXXXX) || return 1
	mkdir "$NS_DIR/upper" "$NS_DIR/work" "$NS_DIR/root"
	: >"$NS_DIR/console.log"

	uni=$(ns_unified) || return 1
	cur=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	NS_CGROUP=$uni${cur%/}/quetzal-system.${NS_DIR##*.}
	mkdir "$NS_CGROUP" || return 1

	# The subshell moves itself into the cgroup, then unshare makes that
	# cgroup the root of the new cgroup namespace.
	setsid sh -c 'echo $$ >"$1/cgroup.procs" && exec unshare --pid --fork \
	    --mount --net --cgroup --propagation private \
	    bash "$2" "$3"' sh "$NS_CGROUP" "$NS_LIB_DIR/ns-init.sh" "$NS_DIR" \
	    </dev/null >"$NS_DIR/unshare.log" 2>&1 &
	NS_UNSHARE_PID=$!
	disown "$NS_UNSHARE_PID"	# no "Killed" line from bash in ns_down

	for i in $(seq 50); do
		NS_PID=$(pgrep -P "$NS_UNSHARE_PID" 2>/dev/null | head -n1)
		[ -n "$NS_PID" ] && break
		sleep 0.1
	done
	[ -n "$NS_PID" ] || { echo "ns: no child of unshare"; cat "$NS_DIR/unshare.log"; return 1; }

	for i in $(seq $((limit * 5))); do
		st=$(ns_exec timeout 5 systemctl is-system-running 2>/dev/null)
		case $st in
		running|degraded) return 0;;
		esac
		kill -0 "$NS_PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "ns: systemd not up after ${limit}s (state: ${st:-none})"
	sed -n '1,40p' "$NS_DIR/unshare.log" "$NS_DIR/console.log"
	return 1
}

# ns_exec CMD...: run CMD as root inside the namespace, cwd /.
ns_exec()
{
	nsenter -t "$NS_PID" -m -p -n -r -w env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    LANG=C.UTF-8 HOME=/root SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# ns_down: kill the namespace, wait for it, remove the cgroup and the
# overlay directories. Safe to call twice and after a failed ns_up.
ns_down()
{
	local i

	if [ -n "$NS_PID" ] && kill -0 "$NS_PID" 2>/dev/null; then
		kill -KILL "$NS_PID" 2>/dev/null
	fi
	if [ -n "$NS_PID" ]; then
		for i in $(seq 100); do
			kill -0 "$NS_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$NS_PID" 2>/dev/null && { echo "ns: systemd $NS_PID survived SIGKILL"; NS_LEFTOVERS=1; }
	fi
	if [ -n "$NS_UNSHARE_PID" ]; then
		kill -KILL "$NS_UNSHARE_PID" 2>/dev/null
		for i in $(seq 100); do
			kill -0 "$NS_UNSHARE_PID" 2>/dev/null || break
			sleep 0.1
		done
	fi
	if [ -n "$NS_CGROUP" ] && [ -d "$NS_CGROUP" ]; then
		# Dying processes leave their cgroups a moment later.
		for _ in $(seq 50); do
			find "$NS_CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$NS_CGROUP" ] || break
			sleep 0.1
		done
		[ -d "$NS_CGROUP" ] && { echo "ns: could not remove $NS_CGROUP"; NS_LEFTOVERS=1; }
	fi
	if [ -n "$NS_DIR" ] && [ -d "$NS_DIR" ]; then
		# The mounts lived in the dead mount namespace; nothing to umount.
		if grep -q " $NS_DIR/" /proc/self/mounts; then
			echo "ns: mounts under $NS_DIR still visible, not removing it"
			NS_LEFTOVERS=1
		else
			rm -rf "$NS_DIR"
		fi
	fi
	NS_PID='' NS_UNSHARE_PID='' NS_CGROUP='' NS_DIR=''
}

# ---------------------------------------------------------------- named hosts
# Several systemd hosts at once (tests/system/multihost.sh): each named
# host is an ns_up namespace of its own, and a "switch" namespace holds a
# bridge with one veth pair per host (its end inside the host is eth0).
# Everything lives in namespaces held by processes we started: killing
# them (nsh_down_all) removes the hosts, the bridge and every veth.
declare -A NSH_PID NSH_UNSHARE NSH_CGROUP NSH_DIR NSH_ADDR
NSH_HOSTS=
NSH_SWITCH_PID=
NSH_SUBNET=10.77.0	# a /24 that lives only inside the switch namespace

# nsh_switch_up: the bridge's namespace (a sleep holding a fresh netns).
nsh_switch_up()
{
	setsid unshare --net sh -c 'ip link set lo up; ip link add br0 type bridge &&
	    ip link set br0 up && exec sleep 86400' </dev/null >/dev/null 2>&1 &
	NSH_SWITCH_PID=$!
	disown "$NSH_SWITCH_PID"
	for _ in $(seq 50); do
		nsenter -t "$NSH_SWITCH_PID" -n ip link show br0 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "nsh: no bridge in the switch namespace"
	return 1
}

# nsh_up NAME OCTET [LIMIT]: boots host NAME (ns_up) and wires it to the
# bridge as $NSH_SUBNET.OCTET/24 on eth0.  0 when it runs.
nsh_up()
{
	local name=$1 octet=$2 limit=${3:-90} rc
	NS_DIR='' NS_PID='' NS_UNSHARE_PID='' NS_CGROUP=''
	ns_up "$limit"; rc=$?
	NSH_PID[$name]=$NS_PID NSH_UNSHARE[$name]=$NS_UNSHARE_PID
	NSH_CGROUP[$name]=$NS_CGROUP NSH_DIR[$name]=$NS_DIR
	NSH_HOSTS="$NSH_HOSTS $name"
	NS_DIR='' NS_PID='' NS_UNSHARE_PID='' NS_CGROUP=''
	[ "$rc" = 0 ] || return 1
	NSH_ADDR[$name]=$NSH_SUBNET.$octet
	nsenter -t "$NSH_SWITCH_PID" -n ip link add "v-$name" type veth peer name eth0 \
	    netns "${NSH_PID[$name]}" || return 1
	nsenter -t "$NSH_SWITCH_PID" -n ip link set "v-$name" master br0 up || return 1
	nsh "$name" ip addr add "${NSH_ADDR[$name]}/24" dev eth0 || return 1
	nsh "$name" ip link set eth0 up
	# No hostname: there is no UTS namespace, it would be the machine's.
}

# nsh NAME CMD...: CMD as root inside host NAME.
nsh()
{
	local name=$1
	shift
	nsenter -t "${NSH_PID[$name]}" -m -p -n -r -w env -i \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    LANG=C.UTF-8 HOME=/root SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# nsh_link NAME up|down: plugs host NAME's cable into the bridge, or pulls it.
nsh_link()
{
	nsenter -t "$NSH_SWITCH_PID" -n ip link set "v-$1" "$2"
}

# nsh_down_all: every host (ns_down each), then the switch.  Safe twice.
nsh_down_all()
{
	local name
	for name in $NSH_HOSTS; do
		NS_PID=${NSH_PID[$name]} NS_UNSHARE_PID=${NSH_UNSHARE[$name]}
		NS_CGROUP=${NSH_CGROUP[$name]} NS_DIR=${NSH_DIR[$name]}
		ns_down
	done
	NSH_HOSTS=
	if [ -n "$NSH_SWITCH_PID" ]; then
		kill -KILL "$NSH_SWITCH_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$NSH_SWITCH_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$NSH_SWITCH_PID" 2>/dev/null && { echo "nsh: switch $NSH_SWITCH_PID survived"; NS_LEFTOVERS=1; }
		NSH_SWITCH_PID=
	fi
}
