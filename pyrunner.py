# The runner for Python jobs with main_func (docs/design.md, "The Python runner"), carried
# inside the stau binary and started as `PYTHON -c SOURCE ARGS...`. Python 3.8 or later.
#
# One-shot mode, ARGS = JOB_FILE MAIN_FUNC: one interpreter per chunk (python_fork: false,
# Slurm). Work IDs come from STAU_WORK_IDS_FILE, kwargs from STAU_KWARGS (a JSON object).
# Exit 0 when the function returns, 1 with the traceback on stderr when it raises, 3 when
# the job cannot be loaded or has no such function.
#
# Server mode, ARGS = --serve FD JOB_FILE MAIN_FUNC: import the job module once, then fork a
# child for each request of stau's (a chunk, or a call of select_work's function). FD is an
# AF_UNIX SOCK_SEQPACKET socket to stau; exec_pyfork.h describes the protocol, in short:
#
#   runner -> stau   ready NTHREADS OUTPUT | broken TEXT | started ID PID | nofork ID WHY |
#                    exit PID CODE SIGNAL USEC
#   stau -> runner   start ID CWD KWARGS IDS ENV...    + the chunk's log descriptor
#                    select ID FUNC CWD KWARGS ENV...  + result and log descriptors
#                    reap PID
#
# The runner ends when the socket closes, killing its children's process groups.
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

RECORD = 32768          # bytes of a record on the socket (exec_pyfork.c agrees)
MAX_FDS = 4             # descriptors one request may carry
OUTPUT_MAX = 65536      # bytes of the import's output sent with "ready" or "broken"
PR_SET_PDEATHSIG = 1


def serve(args):
    if len(args) != 3 or not args[0].isdigit():
        print("stau runner: usage: runner --serve FD JOB_FILE MAIN_FUNC", file=sys.stderr)
        return BROKEN
    # Modules of server mode, as globals: an import statement in a child would go through
    # the import machinery and touch (copy) its pages.
    global atexit, socket, _signal, select
    import atexit
    import select
    import socket
    import _signal
    ctl = socket.socket(fileno=int(args[0]))
    ctl.set_inheritable(False)  # not for the programs the import or a chunk may start
    path, func_name = args[1], args[2]
    job, output = import_quietly(path, func_name)
    output = output.replace(b"\0", b"\\0")
    if job is None:
        send(ctl, b"broken", output)
        # os._exit: no finalization, which could wait for threads the import started
        sys.stderr.flush()
        os._exit(BROKEN)
    Forker(ctl, path, job[0], job[1]).serve(output)


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
    """Sends one message to stau, in records of at most RECORD bytes; fields are bytes or
    anything str() turns into ASCII."""
    data = b"\0".join(f if isinstance(f, bytes) else str(f).encode() for f in fields)
    step = RECORD - 1
    for i in range(0, max(len(data), 1), step):
        last = i + step >= len(data)
        sock.sendmsg([(b"." if last else b"+") + data[i:i + step]])


def fds_of(ancdata):
    """The descriptors passed with SCM_RIGHTS in recvmsg's ancillary data."""
    fds = []
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(memoryview(payload)[:len(payload) & ~3].cast("i").tolist())
    return fds


def read_all(fd):
    """All of the file open at fd (from its start), which is then closed."""
    parts, off = [], 0
    while True:
        b = os.pread(fd, 1 << 20, off)
        if not b:
            break
        parts.append(b)
        off += len(b)
    os.close(fd)
    return b"".join(parts)


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


def decode_kwargs(text):
    return json.loads(text) if text not in ("", "{}") else {}


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


class Forker:
    """The process every chunk is forked from. It does as little as it can between forks:
    while children share its pages, each page it writes is copied, at a cost paid once per
    chunk (most of what a chunk costs above a bare os.fork() loop). So the bookkeeping
    (which chunk is which pid) is stau's, and the runner only reads a request, forks,
    answers, and reports exits."""

    def __init__(self, ctl, path, module, func):
        import time
        self.ctl, self.path, self.module, self.func = ctl, path, module, func
        self.pid = os.getpid()
        self.live = {}          # pid -> fork time: children running
        self.zombies = set()    # children ended and reported, reaped when stau says so
        self.in_handler = self.again = False
        self.clock = time.monotonic
        self.threads = thread_count()
        self.prctl = load_prctl()
        self.cmsg_space = socket.CMSG_SPACE(MAX_FDS * 4)
        self.ctl_fd = ctl.fileno()
        self.null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        # os.environ's dict of bytes, to set a child's variables without os.py's Python
        # layers (each page of code they touch would be copied); environb if it is not so.
        self.env_data = getattr(os.environ, "_data", None) if os.supports_bytes_environ \
            else None
        self.recv_flags = getattr(socket, "MSG_CMSG_CLOEXEC", 0x40000000)
        self.sigchld = [_signal.SIGCHLD]
        forget_atexit()
        # The disposition after the import, which every child gets back. (_signal, not
        # signal: the enum wrappers of signal touch dozens of pages at each call.)
        self.saved_chld = _signal.getsignal(_signal.SIGCHLD)
        if self.saved_chld is None:
            self.saved_chld = _signal.SIG_DFL
        quiet_fork_warnings()
        # The wake-up pipe: Python runs a handler between two bytecodes of the main thread,
        # so a SIGCHLD that comes after the last check and before a blocking system call
        # would wait for the next request. The C handler writes a byte here, which poll sees.
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        _signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        self.poller = select.poll()
        self.poller.register(self.ctl_fd, select.POLLIN)
        self.poller.register(self.wake_r, select.POLLIN)
        _signal.signal(_signal.SIGCHLD, self.on_sigchld)
        _signal.pthread_sigmask(_signal.SIG_SETMASK, [])
        sys.stdout.flush()  # nothing buffered may be copied into every chunk's log
        sys.stderr.flush()

    def serve(self, output):
        import gc
        # Objects of the import go to a generation the collector never visits, so that a
        # child's collections do not write to (and copy) the pages that hold them.
        gc.freeze()
        code = 0
        try:
            send(self.ctl, b"ready", self.threads, output)
            self.loop()
        except (KeyboardInterrupt, BrokenPipeError, ConnectionResetError):
            pass
        except BaseException:
            traceback.print_exc()
            code = 1
        self.kill_all()
        sys.stderr.flush()
        os._exit(code)

    def loop(self):
        """Serves stau's requests until the socket closes. The wait is a poll of the socket
        and the wake-up pipe, so that no SIGCHLD waits for a request to be handled (the
        handler runs at the first bytecode after the signal). A request too large for a
        record comes as "@" with its text in the first descriptor (a memfd)."""
        recvmsg, poll, wake = self.ctl.recvmsg, self.poller.poll, self.wake_r
        space, flags = self.cmsg_space, self.recv_flags | socket.MSG_DONTWAIT
        while True:
            poll()
            try:
                os.read(wake, 512)
            except BlockingIOError:
                pass
            try:
                data, anc, msg_flags, _ = recvmsg(RECORD, space, flags)
            except BlockingIOError:
                continue
            if not data:
                return
            fds = fds_of(anc) if anc else []
            if msg_flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
                raise RuntimeError("stau runner: a message did not fit its record")
            if data.startswith(b".reap\0"):
                self.reap(int(data[6:]))
                continue
            if data == b"@" and fds:
                data = b"." + read_all(fds.pop(0))
            fields = data[1:].split(b"\0")
            if len(fields) < 5 or not fds:
                for fd in fds:
                    os.close(fd)
                send(self.ctl, b"nofork", fields[1] if len(fields) > 1 else b"0",
                     "not a request")
                continue
            self.fork(fields, fds)

    def fork(self, fields, fds):
        """Forks a child for the request (fields, fds) and tells stau its pid."""
        sigmask = _signal.pthread_sigmask
        # SIGCHLD, the one signal the runner handles, is blocked until stau has been told
        # the pid: the child must not run the runner's handler, nor may the handler miss a
        # child that is not in self.live yet, nor report its exit before "started".
        old = sigmask(_signal.SIG_BLOCK, self.sigchld)
        try:
            pid = os.fork()
        except OSError as e:
            sigmask(_signal.SIG_SETMASK, old)
            for fd in fds:
                os.close(fd)
            send(self.ctl, b"nofork", fields[1], e.strerror)
            return
        if pid == 0:
            self.child(fields, fds)
        try:
            os.setpgid(pid, pid)  # also here: stau may signal the group at once
        except OSError:
            pass
        self.live[pid] = self.clock()
        for fd in fds:
            os.close(fd)
        self.ctl.sendmsg([b".started\0%s\0%d" % (fields[1], pid)])
        sigmask(_signal.SIG_SETMASK, old)
        # A thread the import started does not block SIGCHLD: the signal may have gone to it,
        # and the handler may then have run before the child was in self.live, missing it.
        self.on_sigchld(0, None)

    def on_sigchld(self, signum, frame):
        """Reports each child that ended. Python may run a handler again inside itself when
        another signal comes: the inner call only asks the outer one to look once more."""
        if self.in_handler:
            self.again = True
            return
        self.in_handler = True
        try:
            self.again = True
            while self.again:
                self.again = False
                self.collect()
        finally:
            self.in_handler = False

    def collect(self):
        """Reports each child that ended, killing what it left in its process group. The
        child stays a zombie until stau says "reap": until then its pid, and so its group
        ID, cannot be reused, and stau may signal the group safely."""
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        for pid in list(self.live):
            info = os.waitid(os.P_PID, pid, flags)
            if info is None:
                continue
            usec = int((self.clock() - self.live.pop(pid)) * 1e6)
            self.zombies.add(pid)
            try:
                os.killpg(pid, 9)
            except OSError:
                pass
            if info.si_code == os.CLD_EXITED:
                code, sig = info.si_status, 0
            else:
                code, sig = -1, info.si_status
            self.ctl.sendmsg([b".exit\0%d\0%d\0%d\0%d" % (pid, code, sig, usec)])

    def reap(self, pid):
        if pid in self.zombies:
            self.zombies.discard(pid)
            os.waitpid(pid, 0)

    def kill_all(self):
        _signal.pthread_sigmask(_signal.SIG_BLOCK, self.sigchld)  # no handler from now on
        pids = list(self.live) + list(self.zombies)
        for pid in pids:
            try:
                os.killpg(pid, 9)
            except OSError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass

    # ---- the child side ----

    def child(self, fields, fds):
        """The child side of fork: becomes the chunk (or call) asked for, never returns."""
        code = 127
        try:
            self.become_child(fds[-1])
            if fields[0] == b"start":
                code = self.chunk(fields)
            elif fields[0] == b"select":
                code = self.select(fields, fds[0])
        except OSError as e:
            print("stau runner: cannot start the chunk: %s" % e, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            exit_child(code)

    def become_child(self, log_fd):
        """Own process group, death with the runner, stdio on the log, none of the runner's
        descriptors, and the disposition and mask the job would have had."""
        os.setpgid(0, 0)
        if self.prctl:
            self.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
        if os.getppid() != self.pid:
            os._exit(127)  # the runner died before prctl took effect
        _signal.signal(_signal.SIGCHLD, self.saved_chld)
        _signal.set_wakeup_fd(-1)
        os.close(self.wake_r)
        os.close(self.wake_w)
        os.close(self.ctl_fd)  # os.close: the socket object's close runs socket.py's code
        os.dup2(self.null, 0)
        os.close(self.null)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        _signal.pthread_sigmask(_signal.SIG_SETMASK, [])

    def enter(self, cwd, env):
        """The request's working directory and environment, and numpy's fresh seed (random's
        is reseeded by Python at fork)."""
        os.chdir(cwd)
        data, putenv = self.env_data, os.putenv
        for kv in env:
            k, sep, v = kv.partition(b"=")
            if not (sep and k):
                continue
            if data is not None:
                putenv(k, v)
                data[k] = v
            else:
                os.environb[k] = v
        reseed_numpy()
        if self.threads:
            print("stau runner: warning: %s started %d thread(s) at import; they do not run "
                  "in a forked chunk (python_fork: false runs one interpreter per chunk)"
                  % (self.path, self.threads), file=sys.stderr)

    def chunk(self, fields):
        """start ID CWD KWARGS IDS ENV...: main_func(work_ids=[...], **kwargs)."""
        kwargs, ids = fields[3].decode(), fields[4].decode()
        self.enter(fields[2], fields[5:])
        func = self.func
        return call_main(lambda: func(work_ids=decode_ids(ids), **decode_kwargs(kwargs)))

    def select(self, fields, out_fd):
        """select ID FUNC CWD KWARGS ENV...: FUNC(**kwargs), its work IDs written to out_fd
        one per line."""
        name, kwargs = fields[2].decode(), fields[4].decode()
        self.enter(fields[3], fields[5:])
        func = getattr(self.module, name, None)
        if not callable(func):
            print("stau runner: %s has no function %r" % (self.path, name), file=sys.stderr)
            return 1
        ids = []

        def call():
            values = func(**decode_kwargs(kwargs))
            try:
                ids.extend(work_ids_of(values))
            except NotWorkIds as e:
                print("stau runner: %s: %s() %s" % (self.path, name, e), file=sys.stderr)
                raise SystemExit(1)
        code = call_main(call)
        if code == 0:
            write_all(out_fd, "".join("%d\n" % i for i in ids).encode())
        return code


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


def reseed_numpy():
    """Forked children would draw the same numbers: numpy.random gets a seed from the
    system's entropy (Python reseeds random itself after fork)."""
    npr = sys.modules.get("numpy.random")
    if npr is not None and hasattr(npr, "seed"):
        try:
            npr.seed()
        except Exception:
            pass


def forget_atexit():
    """Drops the atexit handlers the import registered, once, in the runner: no chunk runs
    them (one that removes a temporary directory would remove it under every other chunk),
    and the runner ends with os._exit. The standard library's own flushes stay, for what the
    chunks open; so do the handlers a chunk registers, which run when it ends."""
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
