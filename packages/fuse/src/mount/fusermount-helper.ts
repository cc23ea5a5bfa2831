/**
 * The helper that mounts through fusermount3 and hands the /dev/fuse descriptor to a serving
 * process, as a Python program run with `python3 -c`.
 *
 * Why Python: fusermount3 (setuid root) opens /dev/fuse, mounts it, and sends the descriptor back
 * over the Unix socket named by _FUSE_COMMFD as SCM_RIGHTS ancillary data. Node cannot receive
 * that: its socket reads drop ancillary descriptors, and an 'ipc' channel aborts the process when
 * one arrives. Python can (socket.recv_fds). The helper then makes the descriptor fd 3 of the
 * serving command by inheritance: it execs the command, so the command's process finds the mount
 * already made and only has to serve it.
 *
 * Why embedded rather than a .py file next to the code: the package runs both as CommonJS (tests)
 * and as ESM (dist), and neither __dirname nor import.meta works in both; a string travels with
 * the compiled code wherever it is installed.
 *
 * Arguments: FUSERMOUNT OPTIONS MOUNTPOINT COMMAND [ARG...]. The command runs with
 *   fd 3: the mounted /dev/fuse descriptor (env JFS_FUSE_FD=3), not close-on-exec;
 *   fd 4: the write end of the watchdog pipe (env JFS_FUSE_WATCHDOG_FD=4), not close-on-exec.
 *
 * The watchdog: a small process forked before the exec, in its own session (so a terminal's
 * Ctrl-C does not reach it), that waits for the pipe to close, which happens when the serving
 * process is gone however it ended (even SIGKILL). If the mount it made is still there (the same
 * mount ID at the same place), it runs `fusermount3 -u -z`, so a killed server does not leave a
 * dead "Transport endpoint is not connected" mount behind. This is what fusermount3's own
 * auto_unmount promises, but that only works for root or with allow_other: fusermount3 checks the
 * mount as root, and FUSE denies root access to a user's mount without allow_other (libfuse
 * issues #586, #1491; measured here with fuse3 3.14). The watchdog runs as the mounting user, who
 * can always reach and unmount their own mount.
 */
export const FUSERMOUNT_HELPER_SOURCE = String.raw`
import fcntl, os, signal, socket, subprocess, sys

def fail(message, code=1):
    sys.stderr.write('juicefs fusermount helper: ' + message + '\n')
    sys.exit(code)

if sys.version_info < (3, 9):
    fail('needs Python 3.9 or newer (for socket.recv_fds), found %d.%d: install a newer python3, or mount as root' % sys.version_info[:2])
if len(sys.argv) < 5:
    fail('usage: python3 -c SOURCE FUSERMOUNT OPTIONS MOUNTPOINT COMMAND [ARG...]', 2)
fusermount, options, mountpoint, command = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
real_mountpoint = os.path.realpath(mountpoint)

def mount_id_at(path):
    """The ID of the topmost mount at path, from /proc/self/mountinfo (paths octal-escaped)."""
    escaped = path.replace('\\', '\\134').replace(' ', '\\040').replace('\t', '\\011').replace('\n', '\\012')
    found = None
    with open('/proc/self/mountinfo') as f:
        for line in f:
            fields = line.split(' ')
            if len(fields) > 4 and fields[4] == escaped:
                found = fields[0]
    return found

# 1. fusermount3 mounts and sends the descriptor back over our end of a socket pair.
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
env = dict(os.environ, _FUSE_COMMFD=str(theirs.fileno()))
try:
    child = subprocess.Popen([fusermount, '-o', options, '--', mountpoint], env=env, pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
except OSError as e:
    fail('cannot run %s: %s; install fuse3, or mount as root' % (fusermount, e))
theirs.close()
_, fds, _, _ = socket.recv_fds(ours, 1, 4)
code = child.wait()
ours.close()
if not fds:
    fail('%s could not mount %s (exit %d); its message is above' % (fusermount, mountpoint, code))
for extra in fds[1:]:
    os.close(extra)
fuse_fd = fds[0]
mount_id = mount_id_at(real_mountpoint)

# 2. The watchdog (see the comment in fusermount-helper.ts).
wake_r, wake_w = os.pipe()
if os.fork() == 0:
    try:
        os.close(wake_w)
        os.close(fuse_fd)
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        while os.read(wake_r, 64):
            pass
        if mount_id is not None and mount_id_at(real_mountpoint) == mount_id:
            sys.stderr.write('juicefs fusermount helper: the server of %s is gone; unmounting it\n' % mountpoint)
            subprocess.run([fusermount, '-u', '-z', '--', mountpoint], stdin=subprocess.DEVNULL)
    finally:
        os._exit(0)
os.close(wake_r)

# 3. The descriptor becomes fd 3 and the watchdog pipe fd 4 (both inherited across exec), moved
#    above 10 first so that neither overwrites the other.
high_fuse = fcntl.fcntl(fuse_fd, fcntl.F_DUPFD, 10)
high_wake = fcntl.fcntl(wake_w, fcntl.F_DUPFD, 10)
os.dup2(high_fuse, 3)
os.dup2(high_wake, 4)
for fd in {fuse_fd, wake_w, high_fuse, high_wake} - {3, 4}:
    os.close(fd)
env = dict(os.environ, JFS_FUSE_FD='3', JFS_FUSE_WATCHDOG_FD='4')
try:
    os.execvpe(command[0], command, env)
except OSError as e:
    # Exiting closes fd 4, so the watchdog takes the mount away.
    fail('cannot run %s: %s' % (command[0], e), 127)
`;
