// Guest-side scenario scripts (busybox sh). Each runs in every boot of its VM and
// picks its stage from the module's boot counter ($BOOT, set by /init).
// Lines starting with "EV " tell the host the pids it must find in the records.

/** Every event kind, over four boots: warm reboot, halt, power-off, then a power cut. */
export const EVENTS_SCENARIO = `
W=/sys/kernel/raslog/watch
pid_of() { sed -n 's/^RUNAS-PID //p' "$1"; }
case "$BOOT" in
1)
  echo "comm sleep" > $W
  echo "cgroup /important.service" > $W

  # a watched process (uid 1000) killed by SIGTERM from a known sender (kill, uid 1000)
  runas 1000 /bin/sleep 1000 > /tmp/target.out &
  T=$!
  sleep 1
  runas 1000 /bin/kill -TERM "$(pid_of /tmp/target.out)" > /tmp/killer.out
  wait $T
  echo "EV term target=$(pid_of /tmp/target.out) killer=$(pid_of /tmp/killer.out)"

  # a watched process that exits 0
  runas 0 /bin/sleep 0 > /tmp/zero.out
  echo "EV exit0 pid=$(pid_of /tmp/zero.out)"

  # SIGSEGV with ulimit -c 0: fault at 0x10, core not dumped (core limit)
  ulimit -c 0
  segv & P=$!; wait $P
  echo "EV segv_nocore pid=$P"

  # core_pattern to a file, unlimited: dumped
  echo '/tmp/core.%p' > /proc/sys/kernel/core_pattern
  ulimit -c unlimited
  segv & P=$!; wait $P
  echo "EV segv_core pid=$P file=$(ls /tmp/core.$P 2>/dev/null)"

  # a pipe helper that cannot be started
  echo '|/no/such/helper' > /proc/sys/kernel/core_pattern
  segv & P=$!; wait $P
  echo "EV segv_pipe pid=$P"

  # an empty core_pattern
  echo '' > /proc/sys/kernel/core_pattern
  segv & P=$!; wait $P
  echo "EV segv_empty pid=$P"
  ulimit -c 0

  # OOM killer inside a 16 MiB memory cgroup
  echo +memory > /sys/fs/cgroup/cgroup.subtree_control
  mkdir -p /sys/fs/cgroup/oomtest
  echo 16M > /sys/fs/cgroup/oomtest/memory.max
  sh -c 'echo $$ > /sys/fs/cgroup/oomtest/cgroup.procs; exec /guest/hog' & P=$!; wait $P
  echo "EV oom pid=$P"

  # watched by cgroup prefix only; killed by SIGKILL from this shell (builtin kill)
  mkdir -p /sys/fs/cgroup/important.service
  sh -c 'echo $$ > /sys/fs/cgroup/important.service/cgroup.procs; exec /bin/tail -f /dev/null' & P=$!
  sleep 1
  kill -KILL $P; wait $P
  echo "EV cgkill pid=$P shell=$$"
  echo "STAGE-DONE 1"
  reboot -f
  ;;
2)
  before=$(sed -n 's/^last_seq //p' /sys/kernel/raslog/status)
  echo "READY-NMI"
  for i in $(seq 1 100); do
    now=$(sed -n 's/^last_seq //p' /sys/kernel/raslog/status)
    [ "$now" != "$before" ] && break
    sleep 0.2
  done
  echo "NMI-SEEN last_seq=$now"
  halt -f
  ;;
3)
  echo "STAGE-DONE 3"
  poweroff -f
  ;;
*)
  devpoll
  sed 's/^/STATUS /' /sys/kernel/raslog/status
  echo "READY-CUT"
  ;;
esac
`;

/** A storm of killed processes, then a warm reboot; the next boot waits for the host. */
export function stormScenario(kills: number): string {
  return `
case "$BOOT" in
1)
  storm ${kills}
  cat /sys/kernel/raslog/status
  echo "STAGE-DONE 1"
  reboot -f
  ;;
*)
  cat /sys/kernel/raslog/status
  echo "READY-CUT"
  ;;
esac
`;
}

/** Kill storms that never end: the host cuts the power at a random moment. */
export const ENDLESS_STORM_SCENARIO = `
echo "STORM-START boot=$BOOT"
storm 100000000
`;

/** bench/kmod-overhead: the same loops without and with the module, alternating, in one boot. */
export function overheadScenario(forks: number, kills: number, storm: number, rounds: number): string {
  return `
run_loops() { loops fork ${forks}; loops kill ${kills}; storm ${storm}; }
rmmod raslog
for r in $(seq 1 ${rounds}); do
  echo "ROUND $r without"; run_loops
  insmod /raslog.ko region_addr=0x7000000 region_size=0x100000
  echo "ROUND $r with"; run_loops
  rmmod raslog
done
echo "BENCH-DONE"
poweroff -f
`;
}

/** Region lifecycle: refusals, reformat=1 of foreign content, then (next boot) a repaired header. */
export const LIFECYCLE_SCENARIO = `
if [ -z "$BOOT" ]; then
  insmod /raslog.ko; echo "TRY noparam rc=$?"
  insmod /raslog.ko region_addr=0x1000000 region_size=0x100000; echo "TRY sysram rc=$?"
  insmod /raslog.ko region_addr=0x7000000 region_size=0x1000; echo "TRY small rc=$?"
  insmod /raslog.ko region_addr=0x7000000 region_size=0x100000 reformat=1; echo "TRY reformat rc=$?"
  dmesg | grep 'raslog:' | sed 's/^/DMESG /'
  for i in 1 2 3; do segv & wait $!; done
else
  sed 's/^/STATUS /' /sys/kernel/raslog/status
fi
echo "STAGE-DONE"
poweroff -f
`;

/**
 * raslogd in the guest (host share): boot 1 makes events and reboots; boot 2 starts raslogd,
 * which replays the region, then queries and a power cut; boot 3 starts raslogd again and
 * asks how boot 2 ended. Outputs land in the share, named after the boot.
 */
export function daemonScenario(root: string, share: string): string {
  return `
S=/host${share}
export RASLOG_SOCKET=/run/raslogd.sock  # the data dir is on 9p, which cannot hold a unix socket
export TMPDIR=/run/tmp                  # the guest's view of the host's /tmp is read-only
rd() { chroot /host /usr/bin/node ${root}/bin/raslogd.js --data-dir ${share}/data > $S/raslogd-$BOOT.log 2>&1 & }
rl() { chroot /host /usr/bin/node ${root}/bin/raslog.js "$@" --data-dir ${share}/data; }
ready() {
  for i in $(seq 1 300); do grep -q 'raslogd ready' $S/raslogd-$BOOT.log 2>/dev/null && return 0; sleep 0.5; done
  echo "RASLOGD-NOT-READY"; cat $S/raslogd-$BOOT.log; return 1
}
case "$BOOT" in
1)
  echo "comm sleep" > /sys/kernel/raslog/watch
  runas 1000 /bin/sleep 1000 > /tmp/target.out &
  T=$!
  sleep 1
  runas 1000 /bin/kill -TERM "$(sed -n 's/^RUNAS-PID //p' /tmp/target.out)" > /tmp/killer.out
  wait $T
  ulimit -c 0
  segv & wait $!
  echo "STAGE-DONE 1"
  reboot -f
  ;;
2)
  rd; ready
  rl show --since boot-1 --until boot -o jsonl > $S/show-since.jsonl
  rl show -b -1 > $S/show-b1.txt
  rl show -b -1 -o jsonl > $S/show-b1.jsonl
  rl show --since boot-1 -o jsonl > $S/show-open.jsonl
  rl boots -o json > $S/boots-2.json
  echo "STAGE-DONE 2"
  ;;
3)
  rd; ready
  rl boots -o json > $S/boots-3.json
  rl boots > $S/boots-3.txt
  rl show --since boot-2 > $S/show-3.txt
  rl verify > $S/verify-3.txt 2>&1; echo "verify rc=$?" >> $S/verify-3.txt
  echo "STAGE-DONE 3"
  ;;
esac
`;
}

/** Guest HTTP receiver (the host's node runs it in the guest): test/vm/guest/http-receiver.mjs. */
export const NOTIFY_HTTP_PORT = 18080;

/**
 * The files notifyScenario() expects in the share: raslogd's config (important processes
 * `sleep` and `segv`, an http sink to the guest's receiver, a syslog(3) sink) and rsyslogd's
 * (imuxsock on the guest's /dev/log, every line to `<share>/messages` as
 * "<receipt time rfc3339 µs> <severity> <facility> <tag> <msg>").
 * The store is on the guest's tmpfs (/run): a local disk's stand-in (9p fsyncs under TCG are
 * far slower than a disk's).
 */
export function notifyConfigs(share: string, port = NOTIFY_HTTP_PORT): { 'raslog.conf': string; 'rsyslog.conf': string } {
  return {
    'raslog.conf': `data_dir = /run/raslog
log_level = info
[kmod]
poll_interval_ms = 200
[pstore]
enabled = no
[netstats]
enabled = no
[notify]
hostname = raslog-guest
[important]
comm = sleep segv
[sink console]
kind = http
url = http://127.0.0.1:${port}/raslog/events
[sink syslog]
kind = syslog
ident = raslogd
facility = daemon
`,
    'rsyslog.conf': `global(workDirectory="/run/rsyslog" localHostname="raslog-guest" maxMessageSize="16k")
module(load="imuxsock" SysSock.RateLimit.Interval="0")
template(name="raslogvm" type="string" string="%timegenerated:::date-rfc3339% %syslogseverity-text% %syslogfacility-text% %syslogtag% %msg%\\n")
*.* action(type="omfile" file="${share}/messages" template="raslogvm" flushOnTXEnd="on" asyncWriting="off")
`,
  };
}

/**
 * Important-process notifications in one boot (host share; configs from notifyConfigs()):
 * loopback up; rsyslogd (owning the guest's /dev/log), the HTTP receiver and raslogd started
 * in the chroot with the host's binaries; raslogd writes the watch list itself. Then a watched
 * `segv` crashing with ulimit -c 0 (the first event after raslogd's start), and a watched
 * `sleep` (uid 1000) killed by SIGTERM from `kill` (uid 1000). "EV segv|term … t0=<guest
 * realtime just before runas exec'd segv / kill>" lines; ends with NOTIFY-DONE, or
 * NOTIFY-FAIL <what> (logs in the share). The polling loops use usleep, never sleep: `sleep`
 * is watched.
 */
export function notifyScenario(root: string, share: string, port = NOTIFY_HTTP_PORT): string {
  return `
S=/host${share}
export TMPDIR=/run/tmp
export RASLOG_SOCKET=/run/raslogd.sock
fail() { echo "NOTIFY-FAIL $1"; for f in raslogd.log receiver.log rsyslogd.log; do sed "s/^/$f: /" $S/$f 2>/dev/null | tail -20; done; }
# wait_for FILE PATTERN TENTHS
wait_for() { i=0; while [ $i -lt $3 ]; do grep -q -- "$2" "$1" 2>/dev/null && return 0; usleep 100000; i=$((i+1)); done; return 1; }
# after an event: stay quiet while raslogd delivers it (no grep forks competing for the vCPUs
# while the latency is measured), then look
settle() { usleep 2500000; }
run() {
ip link set lo up
ip -4 addr show lo | grep -q 127.0.0.1 || { fail loopback; return; }
mkdir -p /host/run/rsyslog
chroot /host /usr/sbin/rsyslogd -n -f ${share}/rsyslog.conf -i /run/rsyslogd.pid > $S/rsyslogd.log 2>&1 &
chroot /host /usr/bin/node ${root}/test/vm/guest/http-receiver.mjs ${port} ${share}/http.jsonl > $S/receiver.log 2>&1 &
chroot /host /usr/bin/node ${root}/bin/raslogd.js --config ${share}/raslog.conf > $S/raslogd.log 2>&1 &
i=0; while [ ! -S /dev/log ] && [ $i -lt 300 ]; do usleep 100000; i=$((i+1)); done
[ -S /dev/log ] || { fail rsyslogd; return; }
wait_for $S/receiver.log RECEIVER-LISTENING 900 || { fail receiver; return; }
wait_for $S/raslogd.log 'raslogd ready' 900 || { fail raslogd; return; }
sed 's/^/WATCH /' /sys/kernel/raslog/watch
echo "READY"

# the first event after raslogd's start: a watched process crashing (SIGSEGV) without a core;
# t0 = runas's clock just before it execs segv (which faults at once)
ulimit -c 0
runas 0 /guest/segv > /tmp/segv.out & P=$!; wait $P
settle
echo "EV segv pid=$P t0=$(sed -n 's/^RUNAS-TIME //p' /tmp/segv.out)"
wait_for $S/http.jsonl SIGSEGV 300 || { fail segv-http; return; }
wait_for $S/messages comm=segv 300 || { fail segv-syslog; return; }

# a watched process (uid 1000) killed by SIGTERM from another uid-1000 process;
# t0 = runas's clock just before it execs kill
runas 1000 /bin/sleep 1000 > /tmp/target.out &
T=$!
wait_for /tmp/target.out RUNAS-TIME 100 || { fail target; return; }
TP=$(sed -n 's/^RUNAS-PID //p' /tmp/target.out)
i=0; while [ "$(cat /proc/$TP/comm 2>/dev/null)" != sleep ] && [ $i -lt 100 ]; do usleep 50000; i=$((i+1)); done
usleep 500000
runas 1000 /bin/kill -TERM "$TP" > /tmp/killer.out
wait $T
settle
echo "EV term target=$TP killer=$(sed -n 's/^RUNAS-PID //p' /tmp/killer.out) t0=$(sed -n 's/^RUNAS-TIME //p' /tmp/killer.out)"
wait_for $S/http.jsonl SIGTERM 300 || { fail term-http; return; }
wait_for $S/messages signal=SIGTERM 300 || { fail term-syslog; return; }
sync
echo "NOTIFY-DONE"
}
run
`;
}
