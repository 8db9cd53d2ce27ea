/* Linux (generic/x86/arm) signal and errno names. */

const SIGNALS: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT',
  7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2',
  13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM', 16: 'SIGSTKFLT', 17: 'SIGCHLD',
  18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU', 23: 'SIGURG',
  24: 'SIGXCPU', 25: 'SIGXFSZ', 26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO',
  30: 'SIGPWR', 31: 'SIGSYS',
};

/** Signal name for a number; 0 → null; real-time signals use the kernel's SIGRTMIN (32). */
export function signalName(signo: number): string | null {
  if (signo === 0) return null;
  const n = SIGNALS[signo];
  if (n) return n;
  if (signo === 32) return 'SIGRTMIN';
  if (signo > 32 && signo < 64) return `SIGRTMIN+${signo - 32}`;
  if (signo === 64) return 'SIGRTMAX';
  return `SIG${signo}`;
}

const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG',
  8: 'ENOEXEC', 9: 'EBADF', 10: 'ECHILD', 11: 'EAGAIN', 12: 'ENOMEM', 13: 'EACCES',
  14: 'EFAULT', 15: 'ENOTBLK', 16: 'EBUSY', 17: 'EEXIST', 18: 'EXDEV', 19: 'ENODEV',
  20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY',
  26: 'ETXTBSY', 27: 'EFBIG', 28: 'ENOSPC', 29: 'ESPIPE', 30: 'EROFS', 31: 'EMLINK',
  32: 'EPIPE', 33: 'EDOM', 34: 'ERANGE', 35: 'EDEADLK', 36: 'ENAMETOOLONG', 37: 'ENOLCK',
  38: 'ENOSYS', 39: 'ENOTEMPTY', 40: 'ELOOP', 42: 'ENOMSG', 43: 'EIDRM', 61: 'ENODATA',
  62: 'ETIME', 71: 'EPROTO', 75: 'EOVERFLOW', 84: 'EILSEQ', 95: 'EOPNOTSUPP',
  104: 'ECONNRESET', 110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 122: 'EDQUOT',
  125: 'ECANCELED', 512: 'ERESTARTSYS', 513: 'ERESTARTNOINTR', 514: 'ERESTARTNOHAND',
  516: 'ERESTART_RESTARTBLOCK', 524: 'ENOTSUPP',
};

/** errno name for a stored (negative) errno; 0 → null. */
export function errnoName(err: number): string | null {
  if (err === 0) return null;
  const n = Math.abs(err);
  return ERRNO[n] ?? `errno ${n}`;
}

const UNIT_SUFFIXES = ['.service', '.scope', '.socket', '.slice', '.mount', '.timer', '.swap', '.path', '.target', '.device', '.automount'];

/**
 * systemd unit from a cgroup path: the last path component that ends in a unit
 * suffix, ignoring .slice when a more specific unit follows. '/' → null.
 */
export function unitFromCgroup(cgroup: string): string | null {
  const parts = cgroup.split('/').filter((p) => p.length > 0);
  for (let i = parts.length - 1; i >= 0; i--) {
    const p = parts[i]!;
    if (p.endsWith('.slice')) continue;
    if (UNIT_SUFFIXES.some((s) => p.endsWith(s) && p.length > s.length)) return p;
  }
  return null;
}
