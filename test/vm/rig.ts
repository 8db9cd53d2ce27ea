// Boots Debian's kernel in qemu with raslog.ko and a scenario script, guest RAM backed
// by a file so the persistent region survives warm reboots and qemu kills (power cuts).
// Facts behind the choices: ../shared/notes/vm-test-rig.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE = path.join(ROOT, '.vm');
export const REGION_ADDR = 0x7000000;
export const REGION_SIZE = 0x100000;
export const RAM_MB = 512;
/** q35 maps guest-physical addresses below the low-RAM split at the same file offset. */
export const REGION_FILE_OFFSET = REGION_ADDR;

export class RigError extends Error {}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, input: opts.input, maxBuffer: 256 << 20 });
  if (r.error) throw new RigError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new RigError(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.toString().slice(-2000)}`);
  }
  return r.stdout;
}

/** Debian kernel version from /boot (never uname -r: the host runs another kernel). */
export function kernelVersion(): string {
  const found = fs.existsSync('/boot')
    ? fs.readdirSync('/boot').filter((f) => /^vmlinuz-.*-amd64$/.test(f) && !f.includes('cloud')).sort()
    : [];
  if (found.length === 0) {
    throw new RigError('no Debian kernel in /boot (apt-get install linux-image-amd64 linux-headers-amd64)');
  }
  return found[found.length - 1].slice('vmlinuz-'.length);
}

/** The uncompressed vmlinux boots through its PVH note about twice as fast as the bzImage under TCG. */
function extractVmlinux(kver: string): string {
  const out = path.join(CACHE, `vmlinux-${kver}`);
  if (fs.existsSync(out)) return out;
  const image = fs.readFileSync(`/boot/vmlinuz-${kver}`);
  const xzMagic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  for (let at = image.indexOf(xzMagic); at >= 0; at = image.indexOf(xzMagic, at + 1)) {
    const r = spawnSync('xz', ['-dc', '--single-stream'], { input: image.subarray(at), maxBuffer: 512 << 20 });
    if (r.stdout && r.stdout.length > 4 && r.stdout.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'))) {
      fs.writeFileSync(out + '.tmp', r.stdout);
      fs.renameSync(out + '.tmp', out);
      return out;
    }
  }
  throw new RigError(`no XZ-compressed ELF payload found in /boot/vmlinuz-${kver}`);
}

export function buildModule(kver: string): string {
  run('make', ['-s', '-C', path.join(ROOT, 'kmod-raslog'), `KVER=${kver}`]);
  const ko = path.join(ROOT, 'kmod-raslog', 'raslog.ko');
  if (!fs.existsSync(ko)) throw new RigError('module build produced no raslog.ko');
  return ko;
}

const GUEST_TOOLS = ['segv', 'hog', 'runas', 'storm', 'loops', 'devpoll'];

function buildGuestTools(): string {
  const dir = path.join(CACHE, 'guest');
  fs.mkdirSync(dir, { recursive: true });
  for (const name of GUEST_TOOLS) {
    const src = path.join(ROOT, 'test/vm/guest', `${name}.c`);
    const bin = path.join(dir, name);
    if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= fs.statSync(src).mtimeMs) continue;
    run('gcc', ['-static', '-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, src]);
  }
  return dir;
}

export interface Artifacts {
  kver: string;
  vmlinux: string;
  module: string;
  guestTools: string;
}

/** Everything a boot needs; the module is rebuilt (make is incremental), the rest cached in .vm/. */
export function prepare(): Artifacts {
  for (const tool of ['qemu-system-x86_64', 'cpio', 'make', 'gcc', 'xz']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new RigError(`${tool} not found (bash .ci/run installs the VM prerequisites)`);
    }
  }
  if (!fs.existsSync('/bin/busybox') && !fs.existsSync('/usr/bin/busybox')) {
    throw new RigError('busybox not found (apt-get install busybox-static)');
  }
  fs.mkdirSync(CACHE, { recursive: true });
  const kver = kernelVersion();
  return { kver, vmlinux: extractVmlinux(kver), module: buildModule(kver), guestTools: buildGuestTools() };
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/guest
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup
echo 1 > /proc/sys/kernel/printk_ratelimit 2>/dev/null
if insmod /raslog.ko region_addr=${'0x' + REGION_ADDR.toString(16)} region_size=${'0x' + REGION_SIZE.toString(16)} $RASLOG_PARAMS; then
  BOOT=$(sed -n 's/^boot //p' /sys/kernel/raslog/status)
  echo "RASLOG-LOADED boot=$BOOT"
else
  echo "RASLOG-INSMOD-FAILED"
  dmesg | tail -5
fi
[ -f /host.sh ] && . /host.sh
. /scenario.sh
echo "SCENARIO-END"
exec sh
`;

/**
 * A busybox initramfs with the module, the static guest tools and the scenario script.
 * The scenario runs in every boot of that VM; it reads "boot N" from the module's
 * status to know which stage it is in, so boot numbering is tested too.
 */
/** Guest modules for 9p over virtio, in load order (modprobe --show-depends 9p 9pnet_virtio virtio_pci). */
const NINEP_MODULES = ['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci',
  'netfs', 'fscache', '9pnet', '9pnet_virtio', '9p'];

/**
 * With a host share, /init mounts the host's / read-only at /host (9p) with proc, sys, dev and
 * a tmpfs /run inside (TMPDIR=/run/tmp), and `share` (a host directory) writable at the same path, so
 * `chroot /host node ...` runs the project's own files in the guest with host paths.
 */
export interface HostShare {
  share: string;
}

function hostShareScript(share: string): string {
  const o = 'trans=virtio,version=9p2000.L';
  return `for m in ${NINEP_MODULES.join(' ')}; do insmod /kmods/$m.ko || echo "HOST-SHARE-FAILED $m"; done
mkdir -p /host
mount -t 9p -o ${o},ro hostroot /host || echo "HOST-SHARE-FAILED mount"
mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev
mount -t cgroup2 none /host/sys/fs/cgroup
# /tmp stays the host's (read-only): the project itself may live there; TMPDIR points at /run/tmp
mount -t tmpfs run /host/run && mkdir -p /host/run/tmp
mount -t 9p -o ${o} share '/host${share}' || echo "HOST-SHARE-FAILED share"
echo "HOST-SHARE-READY"
`;
}

export function buildInitramfs(art: Artifacts, scenario: string, out: string, moduleParams = '', host?: HostShare): string {
  const root = fs.mkdtempSync(path.join(CACHE, 'initrd-'));
  try {
    fs.chmodSync(root, 0o755); // becomes the guest's /: unprivileged scenario users must traverse it
    fs.mkdirSync(path.join(root, 'bin'));
    fs.mkdirSync(path.join(root, 'guest'));
    const busybox = fs.existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';
    fs.copyFileSync(busybox, path.join(root, 'bin/busybox'));
    fs.chmodSync(path.join(root, 'bin/busybox'), 0o755);
    fs.copyFileSync(art.module, path.join(root, 'raslog.ko'));
    for (const name of GUEST_TOOLS) {
      fs.copyFileSync(path.join(art.guestTools, name), path.join(root, 'guest', name));
      fs.chmodSync(path.join(root, 'guest', name), 0o755);
    }
    fs.writeFileSync(path.join(root, 'init'), INIT.replace('$RASLOG_PARAMS', moduleParams), { mode: 0o755 });
    fs.writeFileSync(path.join(root, 'scenario.sh'), scenario, { mode: 0o755 });
    if (host) {
      fs.mkdirSync(path.join(root, 'kmods'));
      for (const m of NINEP_MODULES) {
        const found = run('find', [`/lib/modules/${art.kver}/kernel`, '-name', `${m}.ko`]).toString().trim().split('\n')[0];
        if (!found) throw new RigError(`guest module ${m}.ko not found for ${art.kver}`);
        fs.copyFileSync(found, path.join(root, 'kmods', `${m}.ko`));
      }
      fs.writeFileSync(path.join(root, 'host.sh'), hostShareScript(host.share));
    }
    const list = run('find', ['.', '-print0'], { cwd: root });
    fs.writeFileSync(out, run('cpio', ['--null', '-o', '-H', 'newc', '--quiet'], { cwd: root, input: list }));
    return out;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export interface VmOptions {
  art: Artifacts;
  initrd: string;
  ramFile: string;
  dir: string;
  /** Hard limit: qemu is killed by its own PID when it runs longer. */
  timeoutMs: number;
  smp?: number;
  extraAppend?: string;
  /**
   * Deterministic guest time: -icount makes the guest clock advance 1 ns per
   * instruction, so guest-measured loop times count instructions, not the host's
   * noise (benchmarks on a shared machine). Single vCPU thread, slower.
   */
  icount?: boolean;
  /** Export the host's / (read-only) and host.share (writable) over 9p; see HostShare. */
  host?: HostShare;
}

/** One qemu process. Power cut = kill(); its RAM file keeps the region. */
export class Vm {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private proc: ChildProcess;
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout;
  private log: fs.WriteStream;
  private monitor: string;
  private partial = '';
  done = false;

  constructor(opts: VmOptions) {
    fs.mkdirSync(opts.dir, { recursive: true });
    if (!fs.existsSync(opts.ramFile)) {
      fs.writeFileSync(opts.ramFile, '');
      fs.truncateSync(opts.ramFile, RAM_MB << 20);
    }
    this.monitor = path.join(opts.dir, `monitor-${process.pid}-${Date.now()}.sock`);
    this.log = fs.createWriteStream(path.join(opts.dir, 'console.log'), { flags: 'a' });
    const append = [
      'console=ttyS0',
      `memmap=${REGION_SIZE >> 20}M$0x${REGION_ADDR.toString(16)}`,
      'panic=-1',
      'quiet',
      opts.extraAppend ?? '',
    ].join(' ');
    const args = [
      '-accel', 'tcg', '-cpu', 'max', '-smp', String(opts.icount ? 1 : opts.smp ?? 2), '-m', `${RAM_MB}M`,
      '-object', `memory-backend-file,id=mem,size=${RAM_MB}M,mem-path=${opts.ramFile},share=on`,
      '-machine', 'q35,memory-backend=mem',
      '-kernel', opts.art.vmlinux, '-initrd', opts.initrd, '-append', append,
      '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio',
      '-monitor', `unix:${this.monitor},server=on,wait=off`,
      ...(opts.icount ? ['-icount', 'shift=0'] : []),
      ...(opts.host ? [
        '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
        '-virtfs', `local,path=${opts.host.share},mount_tag=share,security_model=none,multidevs=remap`,
      ] : []),
    ];
    this.proc = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
    this.proc.stderr!.on('data', (d: Buffer) => this.onData(d));
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code) => {
        this.done = true;
        clearTimeout(this.timer);
        this.log.end();
        fs.rmSync(this.monitor, { force: true });
        this.wake();
        resolve(code);
      });
      this.proc.on('error', (err) => {
        this.lines.push(`QEMU-SPAWN-ERROR ${err.message}`);
        this.done = true;
        this.wake();
        resolve(null);
      });
    });
    this.timer = setTimeout(() => {
      this.lines.push('VM-TIMEOUT');
      this.kill();
    }, opts.timeoutMs);
  }

  private onData(d: Buffer): void {
    const text = this.partial + d.toString('latin1').replace(/\r/g, '');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      this.log.write(line + '\n');
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves with the first line (from index `from` on) matching re; rejects on exit or timeout. */
  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<{ line: string; index: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        if (re.test(this.lines[i])) return { line: this.lines[i], index: i };
      }
      from = this.lines.length;
      if (this.done) throw new RigError(`qemu exited before ${re}; last lines:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new RigError(`timed out waiting for ${re}; last lines:\n${this.tail()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  tail(n = 25): string {
    return this.lines.slice(-n).join('\n');
  }

  /** The front-panel dump button: an NMI through the qemu monitor. */
  async nmi(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const sock = createConnection(this.monitor);
      let sent = false;
      let reply = '';
      sock.on('data', (d) => {
        reply += d.toString();
        if (!sent && reply.includes('(qemu)')) {
          sent = true;
          reply = '';
          sock.write('nmi\n');
        } else if (sent && reply.includes('(qemu)')) {
          sock.end();
          resolve();
        }
      });
      sock.on('error', reject);
      setTimeout(() => {
        sock.destroy();
        reject(new RigError('qemu monitor did not answer the nmi command'));
      }, 10_000);
    });
  }

  /** Power cut: SIGKILL to qemu's own PID. */
  kill(): void {
    if (!this.done && this.proc.pid) {
      try {
        process.kill(this.proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  async stop(): Promise<void> {
    this.kill();
    await this.exited;
  }
}

/** The region bytes as the guest left them in the RAM file. */
export function readRegionFromRam(ramFile: string): Buffer {
  const fd = fs.openSync(ramFile, 'r');
  try {
    const buf = Buffer.alloc(REGION_SIZE);
    fs.readSync(fd, buf, 0, REGION_SIZE, REGION_FILE_OFFSET);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}
