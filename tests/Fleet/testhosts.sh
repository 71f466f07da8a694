#!/bin/bash
# Test hosts for the fleet suite: each a network namespace (a veth pair, 10.213.N.1 here and 10.213.N.2 inside) and a
# mount namespace of its own (its own /etc/isulad, /etc/kata-containers, /usr/share/defaults/kata-containers,
# /var/lib/kata, /etc/modules-load.d, all-users PowerShell module path, root's user module path and an empty
# ~/.bashrc, bound from DIR/hN), running Debian's sshd with the PowerShell subsystem. No traffic leaves those pairs.
#
#   testhosts.sh check                  can hosts be made here? prints the reason and exits 1 when not
#   testhosts.sh up DIR COUNT PWSHDLL   makes COUNT hosts under DIR (keys, configs, states); DIR/hN/sshd.pid each
#   testhosts.sh start DIR N            (re)starts host N's sshd
#   testhosts.sh stop DIR N             stops host N's sshd (by its pid)
#   testhosts.sh down DIR               stops every sshd by its pid, deletes the namespaces and veths, removes the
#                                       mount points it created; safe to run twice and after a failed up
set -u
export LC_ALL=C
prefix=isulakata-fleet
mountpoints=(/etc/isulad /etc/kata-containers /usr/share/defaults/kata-containers /var/lib/kata /etc/modules-load.d
    /usr/local/share/powershell/Modules /root/.local/share/powershell/Modules)

check() {
    [ "$(id -u)" = 0 ] || { echo "not root"; return 1; }
    command -v ip >/dev/null || { echo "no ip command (iproute2)"; return 1; }
    command -v unshare >/dev/null || { echo "no unshare (util-linux)"; return 1; }
    [ -x /usr/sbin/sshd ] || { echo "no /usr/sbin/sshd (openssh-server)"; return 1; }
    command -v ssh >/dev/null || { echo "no ssh client"; return 1; }
    ip netns add ${prefix}-probe 2>/tmp/${prefix}-probe.err || { echo "cannot make a network namespace: $(cat /tmp/${prefix}-probe.err)"; rm -f /tmp/${prefix}-probe.err; return 1; }
    ip netns exec ${prefix}-probe unshare -m true 2>/tmp/${prefix}-probe.err || { ip netns del ${prefix}-probe; echo "cannot make a mount namespace: $(cat /tmp/${prefix}-probe.err)"; rm -f /tmp/${prefix}-probe.err; return 1; }
    ip link add ikf-pv type veth peer name ikf-pn 2>/tmp/${prefix}-probe.err || { ip netns del ${prefix}-probe; echo "cannot make a veth pair: $(cat /tmp/${prefix}-probe.err)"; rm -f /tmp/${prefix}-probe.err; return 1; }
    ip link del ikf-pv
    ip netns del ${prefix}-probe
    rm -f /tmp/${prefix}-probe.err
}

start() {
    local dir=$1 n=$2 h=$1/h$2
    [ -s "$h/sshd.pid" ] && kill -0 "$(cat "$h/sshd.pid")" 2>/dev/null && return 0
    # ip netns exec enters a fresh mount namespace already (slave to this one); unshare -m makes the binds private.
    ip netns exec ${prefix}-$n unshare -m --propagation private /bin/sh -c '
        set -e
        h=$1
        mount --bind "$h/etc-isulad" /etc/isulad
        mount --bind "$h/etc-kata" /etc/kata-containers
        mount --bind "$h/defaults-kata" /usr/share/defaults/kata-containers
        mount --bind "$h/var-lib-kata" /var/lib/kata
        mount --bind "$h/modules-load" /etc/modules-load.d
        mount --bind "$h/modules" /usr/local/share/powershell/Modules
        mount --bind "$h/user-modules" /root/.local/share/powershell/Modules
        mount --bind "$h/bashrc" /root/.bashrc
        exec /usr/sbin/sshd -D -f "$h/sshd_config" -E "$h/sshd.log"' sh "$h" </dev/null >"$h/start.log" 2>&1 &
    echo $! > "$h/sshd.pid"
    # Ready when the port answers.
    for _ in $(seq 1 100); do
        (exec 3<>/dev/tcp/10.213.$n.2/22) 2>/dev/null && return 0
        kill -0 "$(cat "$h/sshd.pid")" 2>/dev/null || { echo "sshd of host $n exited: $(cat "$h/start.log" "$h/sshd.log" 2>/dev/null)" >&2; return 1; }
        sleep 0.1
    done
    echo "sshd of host $n does not answer" >&2
    return 1
}

stop() {
    local h=$1/h$2 pid
    [ -s "$h/sshd.pid" ] || return 0
    pid=$(cat "$h/sshd.pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$h/sshd.pid"
}

up() {
    local dir=$1 count=$2 pwshdll=$3 dotnet fakes
    dotnet=$(command -v dotnet)
    fakes=$(cd "$(dirname "$0")/../Pester/Fakes/bin" && pwd)
    mkdir -p "$dir"
    : > "$dir/created-mountpoints"
    for m in "${mountpoints[@]}"; do
        # Every folder made here is listed (mkdir -v), to be removed again by down.
        [ -d "$m" ] || mkdir -pv "$m" | sed "s/^mkdir: created directory '\(.*\)'$/\1/" >> "$dir/created-mountpoints"
    done
    [ -e /root/.bashrc ] || { : > /root/.bashrc; echo /root/.bashrc >> "$dir/created-mountpoints"; }
    mkdir -p /run/sshd
    ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" -C isulakata-fleet-test
    cp "$dir/client_key.pub" "$dir/authorized_keys"
    : > "$dir/known_hosts"
    for n in $(seq 1 "$count"); do
        local h=$dir/h$n
        mkdir -p "$h"/{etc-isulad,etc-kata,defaults-kata,var-lib-kata,modules-load,modules,user-modules,state,tmp}
        : > "$h/bashrc"
        : > "$h/state/commands.log"
        ssh-keygen -q -t ed25519 -N '' -f "$h/host_key"
        echo "10.213.$n.2 $(cut -d' ' -f1,2 "$h/host_key.pub")" >> "$dir/known_hosts"
        cat > "$h/sshd_config" <<CONF
ListenAddress 10.213.$n.2
HostKey $h/host_key
PidFile none
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
SetEnv PATH=$fakes:$(dirname "$dotnet"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ISULAKATA_FAKE_STATE=$h/state TMPDIR=$h/tmp
Subsystem powershell $dotnet $pwshdll -sshs -NoLogo -NoProfile
CONF
        ip netns add ${prefix}-$n
        ip link add ikf$n type veth peer name ikf${n}i
        ip link set ikf${n}i netns ${prefix}-$n
        ip addr add 10.213.$n.1/24 dev ikf$n
        ip link set ikf$n up
        ip netns exec ${prefix}-$n ip addr add 10.213.$n.2/24 dev ikf${n}i
        ip netns exec ${prefix}-$n ip link set ikf${n}i up
        ip netns exec ${prefix}-$n ip link set lo up
        start "$dir" "$n" || return 1
    done
}

down() {
    local dir=$1
    for h in "$dir"/h*; do
        [ -d "$h" ] && stop "$dir" "${h##*/h}"
    done
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${prefix}-[0-9]*$"); do
        ip link del "ikf${ns##*-}" 2>/dev/null
        ip netns del "$ns"
    done
    if [ -s "$dir/created-mountpoints" ]; then
        tac "$dir/created-mountpoints" | while read -r m; do
            if [ -d "$m" ]; then rmdir "$m" 2>/dev/null; else [ -s "$m" ] || rm -f "$m"; fi
        done
        : > "$dir/created-mountpoints"
    fi
}

cmd=${1:-}; shift || true
case "$cmd" in
    check) check ;;
    up) up "$@" ;;
    start) start "$@" ;;
    stop) stop "$@" ;;
    down) down "$@" ;;
    *) echo "usage: $0 check | up DIR COUNT PWSHDLL | start DIR N | stop DIR N | down DIR" >&2; exit 2 ;;
esac
