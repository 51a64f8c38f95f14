# The runner for Python jobs with main_func (docs/design.md, "The Python runner"), carried
# inside the stau binary and started as `PYTHON -c SOURCE ARGS...`. Python 3.8 or later.
#
# One-shot mode, ARGS = JOB_FILE MAIN_FUNC: one interpreter per chunk (python_fork: false,
# Slurm). Work IDs come from STAU_WORK_IDS_FILE, kwargs from STAU_KWARGS (a JSON object).
# Exit 0 when the function returns, 1 with the traceback on stderr when it raises, 3 when
# the job cannot be loaded or has no such function.
#
# Server mode, ARGS = --serve FD JOB_FILE MAIN_FUNC: import the job module once, then fork
# one child per chunk on request. FD is a connected AF_UNIX SOCK_SEQPACKET socket to stau
# (exec_pyfork.c is the other end; its header describes the protocol in full):
#
#   runner -> stau   ready NTHREADS OUTPUT        the module imported (OUTPUT: what it printed)
#                    broken TEXT                  it did not (TEXT: what exit 3 prints); exits 3
#                    started ID PID               a child was forked for request ID
#                    refused ID WHY               no child for request ID
#                    exit ID PID CODE SIGNAL USEC a child ended (kept a zombie until "reap")
#   stau -> runner   start ID CWD KWARGS IDS ENV...          + the chunk's log descriptor
#                    select ID FUNC CWD KWARGS ENV...        + result and log descriptors
#                    reap ID                                  stau has read the exit of ID
#
# A message is its fields joined by NUL bytes, sent as records of at most RECORD bytes whose
# first byte is "+" (more records follow) or "." (the last one); descriptors travel with the
# first record (SCM_RIGHTS). The runner ends when the socket closes, killing the process
# groups of its children first.
import importlib.util
import json
import os
import sys
import traceback

BROKEN = 3


def load_ids():
    path = os.environ.get("STAU_WORK_IDS_FILE", "")
    if path:
        with open(path) as f:
            return [int(line) for line in f if line.strip()]
    text = os.environ.get("STAU_WORK_IDS", "")
    return [int(x) for x in text.split(",") if x]


def import_job(path, func_name):
    """Imports the job file as a module with jobs/ on sys.path. Returns (module, function),
    or prints why not on stderr and returns None."""
    jobs_dir = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, jobs_dir)
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError("cannot load %s" % path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except BaseException:
        traceback.print_exc()
        print("stau runner: cannot import %s" % path, file=sys.stderr)
        return None
    func = getattr(module, func_name, None)
    if not callable(func):
        print("stau runner: %s has no function %r" % (path, func_name), file=sys.stderr)
        return None
    return module, func


def call_main(call):
    """Runs call(); returns the exit status it means: 0 when it returns, what sys.exit said,
    1 with the traceback on stderr when it raises."""
    try:
        call()
    except SystemExit as e:
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--serve":
        return serve(sys.argv[2:])
    if len(sys.argv) != 3:
        print("stau runner: usage: runner JOB_FILE MAIN_FUNC", file=sys.stderr)
        return BROKEN
    path, func_name = sys.argv[1], sys.argv[2]
    job = import_job(path, func_name)
    if job is None:
        return BROKEN
    func = job[1]

    def call():
        func(work_ids=load_ids(), **json.loads(os.environ.get("STAU_KWARGS") or "{}"))
        sys.stdout.flush()
    return call_main(call)


# ---- server mode ----

RECORD = 32768          # bytes of a record, header byte included (exec_pyfork.c agrees)
MAX_FDS = 4             # descriptors one request may carry
OUTPUT_MAX = 65536      # bytes of the import's output sent with "ready" or "broken"
PR_SET_PDEATHSIG = 1


def serve(args):
    if len(args) != 3 or not args[0].isdigit():
        print("stau runner: usage: runner --serve FD JOB_FILE MAIN_FUNC", file=sys.stderr)
        return BROKEN
    import socket
    sock = socket.socket(fileno=int(args[0]))
    sock.set_inheritable(False)  # not for the programs the import or a chunk may start
    path, func_name = args[1], args[2]
    job, output = import_quietly(path, func_name)
    if job is None:
        send(sock, b"broken", output.replace(b"\0", b"\\0"))
        # os._exit: no finalization, which could wait for threads the import started
        sys.stderr.flush()
        os._exit(BROKEN)
    Runner(sock, path, job[0], job[1]).serve(output)


def import_quietly(path, func_name):
    """import_job with descriptors 1 and 2 on a temporary file: returns its result and what
    the import printed (the last OUTPUT_MAX bytes)."""
    import tempfile
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as cap:
        os.dup2(cap.fileno(), 1)
        os.dup2(cap.fileno(), 2)
        try:
            job = import_job(path, func_name)
        finally:
            for f in (sys.stdout, sys.stderr):
                try:
                    f.flush()
                except Exception:
                    pass
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        size = cap.seek(0, os.SEEK_END)
        cap.seek(max(0, size - OUTPUT_MAX))
        return job, cap.read()


def send(sock, *fields):
    """Sends one message; fields are bytes or anything str() can turn into ASCII."""
    data = b"\0".join(f if isinstance(f, bytes) else str(f).encode() for f in fields)
    step = RECORD - 1
    for i in range(0, max(len(data), 1), step):
        last = i + step >= len(data)
        sock.sendmsg([(b"." if last else b"+") + data[i:i + step]])


def receive(sock):
    """Reads one message: (fields, descriptors), or (None, []) when the socket closed."""
    import array
    import socket
    parts, fds = [], []
    while True:
        cmsg_space = socket.CMSG_SPACE(MAX_FDS * array.array("i").itemsize)
        cloexec = getattr(socket, "MSG_CMSG_CLOEXEC", 0x40000000)
        data, anc, flags, _ = sock.recvmsg(RECORD, cmsg_space, cloexec)
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(payload[:len(payload) - len(payload) % a.itemsize])
                fds.extend(a)
        if not data or flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
            for fd in fds:
                os.close(fd)
            if not data:
                return None, []
            raise RuntimeError("stau runner: a message did not fit its record")
        parts.append(data[1:])
        if data[:1] == b".":
            return b"".join(parts).split(b"\0"), fds


class Stop(Exception):
    """SIGTERM or SIGHUP reached the runner: it ends as if the socket had closed."""


def stop_handler(signum, frame):
    raise Stop()


def ignore_signal(signum, frame):
    pass


def decode_ids(spec):
    """The work IDs of a request: "" (none), "=1:5,7" (items, a:b an inclusive range), or
    "@PATH" (a file, one ID per line)."""
    if spec.startswith("@"):
        with open(spec[1:]) as f:
            return [int(line) for line in f if line.strip()]
    ids = []
    for item in spec[1:].split(","):
        if not item:
            continue
        a, sep, b = item.partition(":")
        if sep:
            ids.extend(range(int(a), int(b) + 1))
        else:
            ids.append(int(a))
    return ids


class NotWorkIds(Exception):
    """What a select_work function returned is not an iterable of 64-bit integers."""


def work_ids_of(values):
    """The work IDs in values (ints in int64's range; numpy's integers count), or
    NotWorkIds saying what is wrong. Iterating values runs the caller's generator."""
    import operator
    if values is None or isinstance(values, (str, bytes)):
        raise NotWorkIds("returned %r, not an iterable of integers" % (values,))
    try:
        it = iter(values)
    except TypeError:
        raise NotWorkIds("returned %r, not an iterable of integers" % (values,))
    ids = []
    for x in it:
        try:
            if isinstance(x, bool):
                raise TypeError()
            v = operator.index(x)
        except TypeError:
            raise NotWorkIds("returned %r among its values, which is not an integer" % (x,))
        if not -2**63 <= v < 2**63:
            raise NotWorkIds("returned %d, which does not fit in 64 bits" % v)
        ids.append(v)
    return ids


class Runner:
    """Forks a child per request from stau and reports how each ended."""

    def __init__(self, sock, path, module, func):
        import signal
        self.sock, self.path, self.module, self.func = sock, path, module, func
        self.pid = os.getpid()
        self.live = {}      # pid -> (request id, start time): running children
        self.zombies = {}   # request id -> pid: ended, reported, not yet reaped
        self.threads = thread_count()
        self.prctl = load_prctl()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        os.set_blocking(self.wake_r, False)
        # The dispositions after the import, which every child gets back (one-shot mode
        # would run main_func under them), then the runner's own.
        self.saved = {s: signal.getsignal(s)
                      for s in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP)}
        signal.signal(signal.SIGCHLD, ignore_signal)
        signal.signal(signal.SIGTERM, stop_handler)
        signal.signal(signal.SIGHUP, stop_handler)
        signal.set_wakeup_fd(self.wake_w)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        quiet_fork_warnings()

    def serve(self, output):
        import gc
        # Objects of the import go to a generation the collector never visits, so that a
        # child's collections do not write to (and copy) the pages that hold them.
        gc.freeze()
        code = 0
        try:
            send(self.sock, b"ready", self.threads, output.replace(b"\0", b"\\0"))
            self.loop()
        except (Stop, KeyboardInterrupt, BrokenPipeError, ConnectionResetError):
            pass
        except BaseException:
            traceback.print_exc()
            code = 1
        self.kill_all()
        sys.stderr.flush()
        os._exit(code)

    def loop(self):
        import select
        poller = select.poll()
        poller.register(self.sock.fileno(), select.POLLIN)
        poller.register(self.wake_r, select.POLLIN)
        while True:
            for fd, _ in poller.poll():
                if fd == self.wake_r:
                    self.drain_wakeups()
                    self.collect()
                elif not self.handle():
                    return

    def drain_wakeups(self):
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass

    def handle(self):
        """Serves one request; False when the socket closed."""
        fields, fds = receive(self.sock)
        if fields is None:
            return False
        kind = fields[0]
        if kind == b"start" and len(fields) >= 5 and len(fds) == 1:
            self.fork(fields[1], fds, lambda: self.chunk(fields, fds[0]))
        elif kind == b"select" and len(fields) >= 5 and len(fds) == 2:
            self.fork(fields[1], fds, lambda: self.select(fields, fds))
        elif kind == b"reap" and len(fields) == 2:
            self.reap(fields[1])
        else:
            for fd in fds:
                os.close(fd)
            rid = fields[1] if len(fields) > 1 else b"0"
            send(self.sock, b"refused", rid, b"not a request: " + kind[:40])
        return True

    def fork(self, rid, fds, child_main):
        """Forks a child that runs child_main() with fds[-1] as its stdout and stderr, and
        tells stau its pid."""
        import signal
        import time
        sys.stdout.flush()
        sys.stderr.flush()
        # Every signal is blocked across fork: the child unblocks them only once its
        # handlers are back to what the job expects (a SIGTERM from stau in between then
        # ends it, instead of running the runner's handler in the child).
        old = signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        try:
            pid = os.fork()
        except OSError as e:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)
            for fd in fds:
                os.close(fd)
            send(self.sock, b"refused", rid, "cannot fork: %s" % e.strerror)
            return
        if pid == 0:
            self.child(fds[-1], child_main)
        t0 = time.monotonic()
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        try:
            os.setpgid(pid, pid)  # also here: stau may signal the group at once
        except OSError:
            pass
        for fd in fds:
            os.close(fd)
        self.live[pid] = (rid, t0)
        send(self.sock, b"started", rid, pid)

    def child(self, log_fd, child_main):
        """The child side of fork: becomes the chunk and never returns."""
        code = 127
        try:
            self.become_chunk(log_fd)
            code = child_main()
        except OSError as e:
            print("stau runner: cannot start the chunk: %s" % e, file=sys.stderr)
        except BaseException:
            try:
                traceback.print_exc()
            except BaseException:
                pass
        finally:
            exit_child(code)

    def become_chunk(self, log_fd):
        """Own process group, death with the runner, stdio on the log, the dispositions and
        mask the job would have had, none of the runner's descriptors."""
        import signal
        os.setpgid(0, 0)
        if self.prctl:
            self.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != self.pid:
            os._exit(127)  # the runner died before prctl took effect
        signal.set_wakeup_fd(-1)
        for s, h in self.saved.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        self.sock.close()
        os.close(self.wake_r)
        os.close(self.wake_w)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])

    def enter(self, cwd, env):
        """The request's working directory and environment, fresh seeds, and none of the
        atexit handlers registered by the import."""
        os.chdir(cwd)
        for kv in env:
            k, sep, v = kv.partition(b"=")
            if sep and k:
                os.environb[k] = v
        reseed()
        forget_atexit()
        if self.threads:
            print("stau runner: warning: %s started %d thread(s) at import; they do not run "
                  "in a forked chunk (python_fork: false runs one interpreter per chunk)"
                  % (self.path, self.threads), file=sys.stderr)

    def chunk(self, fields, log_fd):
        """start ID CWD KWARGS IDS ENV...: main_func(work_ids=[...], **kwargs)."""
        cwd, kwargs, ids = fields[2], fields[3].decode(), fields[4].decode()
        self.enter(cwd, fields[5:])
        func = self.func
        return call_main(lambda: func(work_ids=decode_ids(ids), **json.loads(kwargs or "{}")))

    def select(self, fields, fds):
        """select ID FUNC CWD KWARGS ENV...: FUNC(**kwargs), its work IDs written to fds[0]
        one per line."""
        name, cwd, kwargs = fields[2].decode(), fields[3], fields[4].decode()
        self.enter(cwd, fields[5:])
        func = getattr(self.module, name, None)
        if not callable(func):
            print("stau runner: %s has no function %r" % (self.path, name), file=sys.stderr)
            return 1
        ids = []

        def call():
            values = func(**json.loads(kwargs or "{}"))
            try:
                ids.extend(work_ids_of(values))
            except NotWorkIds as e:
                print("stau runner: %s: %s() %s" % (self.path, name, e), file=sys.stderr)
                raise SystemExit(1)
        code = call_main(call)
        if code == 0:
            write_all(fds[0], "".join("%d\n" % i for i in ids).encode())
        return code

    def collect(self):
        """Reports every child that ended, killing what it left in its process group. The
        child stays a zombie until stau says "reap": until then its pid, and so its group
        ID, cannot be reused, and stau may signal the group safely."""
        import signal
        import time
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        for pid, (rid, t0) in list(self.live.items()):
            info = os.waitid(os.P_PID, pid, flags)
            if info is None or info.si_pid == 0:
                continue
            del self.live[pid]
            self.zombies[rid] = pid
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            exited = info.si_code == os.CLD_EXITED
            code, sig = (info.si_status, 0) if exited else (-1, info.si_status)
            usec = int((time.monotonic() - t0) * 1e6)
            send(self.sock, b"exit", rid, pid, code, sig, usec)

    def reap(self, rid):
        pid = self.zombies.pop(rid, None)
        if pid is not None:
            os.waitpid(pid, 0)

    def kill_all(self):
        import signal
        pids = list(self.live) + list(self.zombies.values())
        for pid in pids:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass


def thread_count():
    """Threads other than this one that the import started."""
    threading = sys.modules.get("threading")
    return threading.active_count() - 1 if threading else 0


def load_prctl():
    """libc's prctl through ctypes, or None (then a child does not die with its runner)."""
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl
    except Exception:
        print("stau runner: warning: no prctl: chunks will not die with their runner",
              file=sys.stderr)
        return None


def quiet_fork_warnings():
    """Python 3.12 warns at each fork of a process with threads; the runner says it once
    in each chunk's log instead."""
    import warnings
    warnings.filterwarnings("ignore", message=".*multi-threaded.*", category=DeprecationWarning)


def reseed():
    """Forked children would draw the same numbers: reseed random and numpy.random from
    the system's entropy."""
    r = sys.modules.get("random")
    if r is not None:
        r.seed()
    npr = sys.modules.get("numpy.random")
    if npr is not None and hasattr(npr, "seed"):
        try:
            npr.seed()
        except Exception:
            pass


def forget_atexit():
    """Drops the atexit handlers the import registered (they belong to the runner: one that
    removes a temporary directory would remove it under every other chunk), keeping the
    standard library's own flushes for what the chunk opens."""
    import atexit
    if not hasattr(atexit, "_clear"):
        return
    atexit._clear()
    logging = sys.modules.get("logging")
    if logging is not None:
        atexit.register(logging.shutdown)
    mp_util = sys.modules.get("multiprocessing.util")
    if mp_util is not None and hasattr(mp_util, "_exit_function"):
        atexit.register(mp_util._exit_function)


def exit_child(code):
    """Ends a child as an interpreter would end after main_func returned (non-daemon threads
    joined, the chunk's atexit handlers run, stdout and stderr flushed) but with os._exit,
    so that nothing the runner holds (buffered files, finalizers) runs once per chunk."""
    try:
        threading = sys.modules.get("threading")
        if threading is not None and hasattr(threading, "_shutdown"):
            threading._shutdown()
        import atexit
        if hasattr(atexit, "_run_exitfuncs"):
            atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except BaseException:
            code = code or 1
    os._exit(code & 0xFF if isinstance(code, int) and -2**31 <= code < 2**31 else 1)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


if __name__ == "__main__":
    sys.exit(main())
