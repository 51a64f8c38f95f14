/* exec_pyfork.c - the stau side of the Python runner (the protocol is in exec_pyfork.h; its
 * process is started by exec_pyfork_spawn.c).
 *
 * Why it looks like this:
 *   - The bookkeeping is here, not in the runner. Every chunk is forked from the runner, and
 *     while a chunk runs it shares the runner's pages: each page the runner writes then is
 *     copied. A runner that kept tables, built closures and polled in Python between forks
 *     wrote ~180 pages per chunk (runner and chunks took twice the CPU of a bare os.fork()
 *     loop), so the runner only reads a request, forks, answers with the pid, reports exits
 *     and reaps, and which chunk is which pid is known here. (Letting each child read its
 *     own request instead saved the runner's pages but cost the children more, and made
 *     every start wait until the child was scheduled.)
 *   - The sockets are blocking for sends (a message is small and is read at once;
 *     MSG_NOSIGNAL turns a dead runner into EPIPE, not SIGPIPE); the control socket is read
 *     with MSG_DONTWAIT plus poll, so that the caller's event loop can wait on it with
 *     everything else.
 *   - pyfork_chunk and pyfork_call wait for their own reply and queue what else arrives
 *     (exits of other chunks) for pyfork_next, each event with its own copy of its text.
 *   - A chunk's exit lets the runner reap it only once pyfork_next has returned it: until
 *     then the zombie holds its pid, so pyfork_kill cannot reach a stranger's group. */
#include "exec_pyfork.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec_pyfork_spawn.h"
#include "util.h"

#define REAP_GRACE_MS 2000	/* a runner that closed its socket gets this long to exit */
#define REPLY_TIMEOUT_MS 30000	/* a runner that does not answer a request in this is killed */
#define STOP_GRACE_MS 5000	/* pyfork_stop: how long the runner gets to end on its own */
#define INLINE_IDS_MAX 65536	/* bytes of IDs sent in a request before the file is used */
#define MAX_FDS 4		/* descriptors on one request record */
#define MAX_FIELDS 8		/* fields of the runner's messages */
#define CALL_OUTPUT_MAX 4096	/* bytes of a failed call's output kept in its *why */

/* A child that said "started": a chunk, or the child of a pyfork_call. */
struct kid {
	uint64_t id;		/* its request's ID */
	uint64_t token;		/* the caller's */
	pid_t pid;
	bool is_call;		/* its exit goes to kid, not to the queue */
	bool ended;		/* is_call: code and sig are set */
	int code, sig;
};

/* An event waiting for pyfork_next, and the zombie to reap once it is read (0: none). */
struct queued {
	struct pyfork_event ev;
	pid_t reap;
};

struct pyfork {
	pid_t pid;
	int sock;		/* -1 once the runner has ended */
	bool reaped;
	int status;		/* its wait status, once reaped */
	enum pyfork_state state;
	int threads;
	uint64_t next_id;
	struct kid *kids;
	size_t nkids, capkids;
	struct queued *queue;	/* events for pyfork_next; text owned */
	size_t qhead, qlen, qcap;
	char *text;		/* the text of the event pyfork_next returned last */
	char *broken;		/* why BROKEN or GONE */
};

/* A message from the runner: its fields point into buf, which ends with a NUL. */
struct msg {
	struct strbuf buf;
	const char *f[MAX_FIELDS];
	size_t nf;
};

static int64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? 0 : monotonic_ms() + timeout_ms;
}

/* ---- starting the runner ---- */

int pyfork_start(const struct pyfork_opts *o, struct pyfork **out, char *err, size_t errlen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
		return -1;
	}
	pid_t pid = pyfork_spawn(o, sv[1], err, errlen);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	struct pyfork *r = xcalloc(1, sizeof(*r));
	r->pid = pid;
	r->sock = sv[0];
	r->state = PYFORK_STARTING;
	r->next_id = 1;
	*out = r;
	return 0;
}

/* ---- messages ---- */

/* Sends one record on fd: head (if not '\0'), data, and fds. Returns 0, or -1 with errno. */
static int send_record(int fd, char head, const char *data, size_t n, const int *fds,
		       size_t nfds)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov[2] = { { &head, 1 }, { (char *)data, n } };
	struct msghdr mh = { .msg_iov = head ? iov : iov + 1, .msg_iovlen = head ? 2 : 1 };
	if (nfds > MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfds) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		*c = (struct cmsghdr){ .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS,
				       .cmsg_len = CMSG_LEN(nfds * sizeof(int)) };
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	ssize_t w;
	do
		w = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -1 : 0;
}

/* Sends a command (one record) to the runner. A runner that is gone needs no command. */
static void send_command(struct pyfork *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void send_command(struct pyfork *r, const char *fmt, ...)
{
	if (r->sock < 0)
		return;
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	send_record(r->sock, '.', sb.buf, sb.len, NULL, 0);
	sb_release(&sb);
}

/* Sends request sb (fields joined by NULs) with fds: one record, or, when it does not fit,
 * "@" with the text in a memfd given first. Returns 0, or -1 with errno. */
static int send_request(struct pyfork *r, const struct strbuf *sb, const int *fds, size_t nfds)
{
	if (sb->len < PYFORK_RECORD)
		return send_record(r->sock, '.', sb->buf, sb->len, fds, nfds);
	int all[MAX_FDS];
	all[0] = memfd_create("stau-request", MFD_CLOEXEC);
	if (all[0] < 0)
		return -1;
	int rc = -1;
	if (nfds < MAX_FDS && write(all[0], sb->buf, sb->len) == (ssize_t)sb->len) {
		memcpy(all + 1, fds, nfds * sizeof(int));
		rc = send_record(r->sock, '\0', "@", 1, all, nfds + 1);
	}
	int e = errno;
	close(all[0]);
	errno = e;
	return rc;
}

/* Waits until fd is readable or deadline passes; returns 1, 0 (time out). */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc;
	do
		rc = poll(&p, 1, poll_ms_until(deadline));
	while (rc < 0 && errno == EINTR);
	return rc > 0;
}

/* Reads one record into m->buf. Returns 1 (*last set), 0 (nothing
 * within deadline, or nothing now when !wait), -1 (the socket closed or failed: the runner
 * ended), -2 (a record longer than PYFORK_RECORD: the runner does not speak this protocol). */
static int read_record(struct pyfork *r, struct msg *m, bool wait, int64_t deadline,
		       bool *last)
{
	static char rec[PYFORK_RECORD];
	for (;;) {
		struct iovec iov = { rec, sizeof(rec) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(r->sock, &mh, MSG_DONTWAIT);
		if (n > 0 && (mh.msg_flags & MSG_TRUNC))
			return -2;
		if (n > 0) {
			sb_add(&m->buf, rec + 1, (size_t)n - 1);
			*last = rec[0] != '+';
			return 1;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return -1;
		if (!wait || !wait_readable(r->sock, deadline))
			return 0;
	}
}

/* Splits m->buf into at most MAX_FIELDS fields at NUL bytes. */
static void split_fields(struct msg *m)
{
	sb_addc(&m->buf, '\0');
	const char *p = m->buf.buf, *end = m->buf.buf + m->buf.len - 1;
	m->nf = 0;
	while (m->nf < MAX_FIELDS) {
		m->f[m->nf++] = p;
		p += strlen(p) + 1;
		if (p > end)
			break;
	}
}

/* Reads one whole message. Returns 1, 0 (none began before deadline; 0 = do not wait),
 * -1 (the runner ended), -2 (a message stopped half way: the runner is stuck). */
static int read_message(struct pyfork *r, int timeout_ms, struct msg *m)
{
	bool last = false;
	m->buf = (struct strbuf)STRBUF_INIT;
	int rc = read_record(r, m, timeout_ms != 0, deadline_of(timeout_ms), &last);
	if (rc == 0)
		return 0;
	while (rc == 1 && !last)
		rc = read_record(r, m, true, deadline_of(REPLY_TIMEOUT_MS), &last);
	if (rc == 1) {
		split_fields(m);
		return 1;
	}
	sb_release(&m->buf);
	return rc == 0 ? -2 : rc;
}

/* ---- the runner's reports ---- */

static void push_event(struct pyfork *r, const struct pyfork_event *ev, const char *text,
		       pid_t reap)
{
	if (r->qhead && r->qhead == r->qlen)
		r->qhead = r->qlen = 0;
	grow(&r->queue, &r->qcap, r->qlen + 1, sizeof(*r->queue));
	struct queued *q = &r->queue[r->qlen++];
	q->ev = *ev;
	q->ev.text = text ? xstrdup(text) : NULL;
	q->reap = reap;
}

static struct kid *kid_by_pid(struct pyfork *r, pid_t pid)
{
	for (size_t i = 0; i < r->nkids; i++)
		if (r->kids[i].pid == pid)
			return &r->kids[i];
	return NULL;
}

static struct kid *kid_of_call(struct pyfork *r, uint64_t id)
{
	for (size_t i = 0; i < r->nkids; i++)
		if (r->kids[i].is_call && r->kids[i].id == id)
			return &r->kids[i];
	return NULL;
}

static void remove_kid(struct pyfork *r, struct kid *k)
{
	*k = r->kids[--r->nkids];
}

static uint64_t field_u64(const char *s)
{
	return strtoull(s, NULL, 10);
}

static int field_int(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

/* "exit PID CODE SIGNAL USEC": to the call waiting for it, or to the queue. (The runner
 * says "started" before it can report an exit; a pid it never gave is reaped and ignored.) */
static void absorb_exit(struct pyfork *r, const struct msg *m)
{
	if (m->nf < 5)
		return;
	pid_t pid = (pid_t)field_int(m->f[1]);
	int code = field_int(m->f[2]), sig = field_int(m->f[3]);
	struct kid *k = kid_by_pid(r, pid);
	if (!k) {
		send_command(r, "reap%c%d", '\0', (int)pid);
		return;
	}
	if (k->is_call) {
		k->ended = true;
		k->code = code;
		k->sig = sig;
		return;
	}
	struct pyfork_event ev = { .kind = PYFORK_EV_EXIT, .token = k->token, .pid = pid,
				   .exit_code = sig ? -1 : code, .signal = sig,
				   .duration_us = strtoll(m->f[4], NULL, 10) };
	push_event(r, &ev, NULL, pid);
}

/* A report the caller is not waiting for: ready, broken or exit. */
static void absorb(struct pyfork *r, const struct msg *m)
{
	const char *kind = m->f[0];
	const char *last = m->f[m->nf - 1];
	if (!strcmp(kind, "ready") && m->nf == 3 && r->state == PYFORK_STARTING) {
		r->state = PYFORK_READY;
		r->threads = field_int(m->f[1]);
		push_event(r, &(struct pyfork_event){ .kind = PYFORK_EV_READY }, last, 0);
	} else if (!strcmp(kind, "broken") && m->nf == 2 && r->state == PYFORK_STARTING) {
		r->state = PYFORK_BROKEN;
		free(r->broken);
		r->broken = xstrdup(last);
		push_event(r, &(struct pyfork_event){ .kind = PYFORK_EV_BROKEN }, last, 0);
	} else if (!strcmp(kind, "exit")) {
		absorb_exit(r, m);
	}
}

/* How the runner ended, from its wait status. A new string. */
static char *describe_end(int status)
{
	if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));
		return name ? xasprintf("the Python runner was killed by signal %s", name)
			    : xasprintf("the Python runner was killed by signal %d",
					WTERMSIG(status));
	}
	return xasprintf("the Python runner exited with status %d", WEXITSTATUS(status));
}

/* Reaps the runner, which has closed its socket and so is ending: it gets REAP_GRACE_MS to
 * do so (a runner whose exit hangs must not hang stau), then SIGKILL. Returns its status. */
static int reap_runner(struct pyfork *r)
{
	int64_t deadline = monotonic_ms() + REAP_GRACE_MS;
	while (!r->reaped) {
		pid_t p = waitpid(r->pid, &r->status, monotonic_ms() < deadline ? WNOHANG : 0);
		if (p == r->pid || (p < 0 && errno != EINTR))
			r->reaped = true;
		else if (p == 0 && monotonic_ms() < deadline)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		else if (p == 0)
			kill(r->pid, SIGKILL);
	}
	return r->status;
}

/* The runner ended: every chunk still running is lost (a call's child counts as killed). */
static void lose_kids(struct pyfork *r)
{
	for (size_t i = 0; i < r->nkids;) {
		struct kid *k = &r->kids[i];
		if (k->is_call) {
			k->ended = true;
			k->sig = SIGKILL;
			i++;
			continue;
		}
		push_event(r, &(struct pyfork_event){ .kind = PYFORK_EV_EXIT, .token = k->token,
						      .pid = k->pid, .exit_code = -1,
						      .lost = true },
			   NULL, 0);
		remove_kid(r, k);
	}
}

/* The socket closed, or the protocol broke (then kill_it: the runner is stuck or confused;
 * its chunks die with it). Reaps the runner; unless it was BROKEN (already reported) it is
 * GONE and its running chunks are lost. */
static void runner_ended(struct pyfork *r, bool kill_it)
{
	close(r->sock);
	r->sock = -1;
	if (kill_it)
		kill(r->pid, SIGKILL); /* our unreaped child: its pid cannot have been reused */
	char *how = describe_end(reap_runner(r));
	if (r->state == PYFORK_STARTING) {
		char *t = xasprintf("%s before it imported the module", how);
		free(how);
		how = t;
	}
	if (r->state != PYFORK_BROKEN) {
		lose_kids(r);
		r->state = PYFORK_GONE;
		free(r->broken);
		r->broken = xstrdup(how);
		push_event(r, &(struct pyfork_event){ .kind = PYFORK_EV_GONE }, how, 0);
	}
	free(how);
}

/* Reads one message and absorbs it, or, when reply is given and it answers a request
 * (started, nofork), hands it over. Returns 2 (*reply filled: release its buf), 1 (a report
 * absorbed), 0 (none before timeout), -1 (the runner ended). */
static int pump(struct pyfork *r, int timeout_ms, struct msg *reply)
{
	if (r->sock < 0)
		return -1;
	struct msg m;
	int rc = read_message(r, timeout_ms, &m);
	if (rc < 0) {
		runner_ended(r, rc == -2);
		return -1;
	}
	if (rc == 0)
		return 0;
	bool is_reply = !strcmp(m.f[0], "started") || !strcmp(m.f[0], "nofork");
	if (is_reply && reply) {
		*reply = m;
		return 2;
	}
	absorb(r, &m);
	sb_release(&m.buf);
	return 1;
}

/* ---- events ---- */

int pyfork_next(struct pyfork *r, int timeout_ms, struct pyfork_event *ev)
{
	free(r->text);
	r->text = NULL;
	int64_t deadline = deadline_of(timeout_ms);
	while (r->qhead == r->qlen) {
		int rc = pump(r, timeout_ms ? poll_ms_until(deadline) : 0, NULL);
		if (rc < 0 && r->qhead == r->qlen)
			return -1;
		if (rc == 0)
			return 0;
	}
	struct queued *q = &r->queue[r->qhead++];
	*ev = q->ev;
	r->text = (char *)q->ev.text;
	struct kid *k = q->reap ? kid_by_pid(r, q->reap) : NULL;
	if (k) {
		send_command(r, "reap%c%d", '\0', (int)k->pid);
		remove_kid(r, k);
	}
	return 1;
}

enum pyfork_state pyfork_wait_ready(struct pyfork *r, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	while (r->state == PYFORK_STARTING) {
		int rc = pump(r, poll_ms_until(deadline), NULL);
		if (rc == 0 || (deadline && monotonic_ms() >= deadline))
			break;
	}
	return r->state;
}

int pyfork_fd(const struct pyfork *r)
{
	return r->sock;
}

enum pyfork_state pyfork_state(const struct pyfork *r)
{
	return r->state;
}

pid_t pyfork_pid(const struct pyfork *r)
{
	return r->pid;
}

int pyfork_import_threads(const struct pyfork *r)
{
	return r->threads;
}

const char *pyfork_broken_text(const struct pyfork *r)
{
	return r->broken ? r->broken : "";
}

size_t pyfork_running(const struct pyfork *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nkids; i++)
		n += !r->kids[i].is_call;
	return n;
}

int pyfork_kill(struct pyfork *r, uint64_t token, int sig)
{
	for (size_t i = 0; i < r->nkids; i++)
		if (!r->kids[i].is_call && r->kids[i].token == token)
			return kill(-r->kids[i].pid, sig);
	errno = ESRCH;
	return -1;
}

/* ---- requests ---- */

static void add_field(struct strbuf *sb, const char *s)
{
	sb_addc(sb, '\0');
	sb_adds(sb, s ? s : "");
}

static void add_env(struct strbuf *sb, char *const *env)
{
	for (; env && *env; env++)
		add_field(sb, *env);
}

/* The IDS field: "=" and the IDs, runs of consecutive IDs as "a:b". */
static void add_ids_inline(struct strbuf *sb, const int64_t *ids, size_t n)
{
	sb_addc(sb, '=');
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && ids[j] != INT64_MAX && ids[j + 1] == ids[j] + 1)
			j++;
		sb_addf(sb, "%s%lld", i ? "," : "", (long long)ids[i]);
		if (j > i)
			sb_addf(sb, ":%lld", (long long)ids[j]);
		i = j + 1;
	}
}

static void add_ids(struct strbuf *sb, const struct pyfork_chunk *c)
{
	sb_addc(sb, '\0');
	if (!c->n_ids)
		return;
	size_t start = sb->len;
	add_ids_inline(sb, c->ids, c->n_ids);
	if (c->ids_file && sb->len - start > INLINE_IDS_MAX) {
		sb->len = start;
		sb->buf[start] = '\0';
		sb_addf(sb, "@%s", c->ids_file);
	}
}

/* The end of text in err, from the start of a line when one fits (the end of a
 * traceback says the most). */
static void tail_into(char *err, size_t errlen, const char *text)
{
	size_t len = strlen(text);
	if (len >= errlen) {
		const char *t = text + len - (errlen - 1);
		const char *nl = strchr(t, '\n');
		text = nl && nl[1] ? nl + 1 : t;
	}
	snprintf(err, errlen, "%s", text);
}

/* The answer to request id: 0 with *pid ("started"), -1 with err ("nofork"), or 1 (not
 * this request's). */
static int answer(const struct msg *m, uint64_t id, pid_t *pid, char *err, size_t errlen)
{
	if (m->nf < 3 || field_u64(m->f[1]) != id)
		return 1;
	if (!strcmp(m->f[0], "nofork")) {
		snprintf(err, errlen, "the Python runner cannot fork: %s", m->f[2]);
		return -1;
	}
	*pid = (pid_t)field_int(m->f[2]);
	return 0;
}

/* Waits for the runner's answer to request id, absorbing other reports. Returns 0 with
 * *pid, or -1 with err. A runner that does not answer in time is killed: it is stuck. */
static int await_started(struct pyfork *r, uint64_t id, pid_t *pid, char *err, size_t errlen)
{
	int64_t deadline = deadline_of(REPLY_TIMEOUT_MS);
	for (;;) {
		struct msg m;
		int rc = pump(r, poll_ms_until(deadline), &m), a = 1;
		if (rc == 2) {
			a = answer(&m, id, pid, err, errlen);
			sb_release(&m.buf);
		} else if (rc < 0) {
			tail_into(err, errlen, pyfork_broken_text(r));
			return -1;
		} else if (rc == 0 && monotonic_ms() >= deadline) {
			runner_ended(r, true);
			snprintf(err, errlen, "the Python runner did not answer for %d s",
				 REPLY_TIMEOUT_MS / 1000);
			return -1;
		}
		if (a != 1)
			return a;
	}
}

/* Sends request sb with fds and waits for the pid of the child forked for it; records the
 * child as kid. */
static int request(struct pyfork *r, struct strbuf *sb, const int *fds, size_t nfds,
		   struct kid *kid, char *err, size_t errlen)
{
	if (r->state == PYFORK_STARTING) {
		snprintf(err, errlen, "the Python runner has not imported the module yet");
		return -1;
	}
	if (r->state != PYFORK_READY) {
		tail_into(err, errlen, pyfork_broken_text(r));
		return -1;
	}
	if (send_request(r, sb, fds, nfds)) {
		int e = errno;
		runner_ended(r, true);
		snprintf(err, errlen, "cannot talk to the Python runner: %s", strerror(e));
		return -1;
	}
	if (await_started(r, kid->id, &kid->pid, err, errlen))
		return -1;
	grow(&r->kids, &r->capkids, r->nkids + 1, sizeof(*r->kids));
	r->kids[r->nkids++] = *kid;
	return 0;
}

int pyfork_chunk(struct pyfork *r, const struct pyfork_chunk *c, uint64_t token, pid_t *pid,
		 char *err, size_t errlen)
{
	struct kid kid = { .id = r->next_id++, .token = token };
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "start%c%llu", '\0', (unsigned long long)kid.id);
	add_field(&sb, c->cwd);
	add_field(&sb, c->kwargs_json);
	add_ids(&sb, c);
	add_env(&sb, c->env_add);
	int rc = request(r, &sb, &c->log_fd, 1, &kid, err, errlen);
	sb_release(&sb);
	if (!rc)
		*pid = kid.pid;
	return rc;
}

/* ---- calls of another function ---- */

/* All of fd (a memfd) as a new string. */
static char *read_all(int fd)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[8192];
	off_t off = 0;
	ssize_t n;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		sb_add(&sb, buf, (size_t)n);
		off += n;
	}
	sb_addc(&sb, '\0');
	sb.len--;
	return sb_detach(&sb);
}

/* The IDs the call wrote, one per line. Returns 0, or -1 on a line that is not one. */
static int parse_ids(const char *text, int64_t **ids, size_t *n)
{
	size_t cap = 0;
	*ids = NULL;
	*n = 0;
	for (const char *p = text; *p;) {
		char *end;
		errno = 0;
		long long v = strtoll(p, &end, 10);
		if (end == p || errno || (*end && *end != '\n')) {
			free(*ids);
			*ids = NULL;
			*n = 0;
			return -1;
		}
		grow(ids, &cap, *n + 1, sizeof(**ids));
		(*ids)[(*n)++] = v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* Waits for call id to end, killing its group at deadline (0: none). Returns true when it
 * was killed for the time. (Kids move in their array when others are removed: look it up.) */
static bool await_call(struct pyfork *r, uint64_t id, int64_t deadline)
{
	bool timed_out = false;
	while (!kid_of_call(r, id)->ended) {
		int rc = pump(r, poll_ms_until(timed_out ? 0 : deadline), NULL);
		if (rc == 0 && !timed_out && deadline && monotonic_ms() >= deadline) {
			kill(-kid_of_call(r, id)->pid, SIGKILL);
			timed_out = true;
		}
	}
	return timed_out;
}

/* *why for a call that failed: the tail of what it printed, then how it ended. */
static char *call_failure(int logfd, const struct kid *k, bool timed_out, int64_t timeout_ms)
{
	char *out = read_all(logfd);
	size_t len = strlen(out);
	const char *tail = len > CALL_OUTPUT_MAX ? out + len - CALL_OUTPUT_MAX : out;
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, tail);
	if (sb.len && sb.buf[sb.len - 1] != '\n')
		sb_addc(&sb, '\n');
	if (timed_out)
		sb_addf(&sb, "timed out after %lld ms", (long long)timeout_ms);
	else if (k->sig)
		sb_addf(&sb, "killed by signal %s", sigabbrev_np(k->sig) ? sigabbrev_np(k->sig) : "?");
	else if (k->code)
		sb_addf(&sb, "exited with status %d", k->code);
	else
		sb_adds(&sb, "wrote something that is not one integer per line");
	free(out);
	return sb_detach(&sb);
}

/* The memfds of a call: its result and its output. Returns 0, or -1 with *why. */
static int call_files(int fds[2], char **why)
{
	fds[0] = memfd_create("stau-call-result", MFD_CLOEXEC);
	fds[1] = fds[0] < 0 ? -1 : memfd_create("stau-call-output", MFD_CLOEXEC);
	if (fds[1] >= 0)
		return 0;
	*why = xasprintf("cannot create a file for the call: %s", strerror(errno));
	if (fds[0] >= 0)
		close(fds[0]);
	return -1;
}

int pyfork_call(struct pyfork *r, const struct pyfork_call *c, int64_t **ids, size_t *n,
		char **why)
{
	int fds[2];
	char err[512];
	*ids = NULL;
	*n = 0;
	if (call_files(fds, why))
		return -1;
	struct kid kid = { .id = r->next_id++, .is_call = true };
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "select%c%llu", '\0', (unsigned long long)kid.id);
	add_field(&sb, c->func);
	add_field(&sb, c->cwd);
	add_field(&sb, c->kwargs_json);
	add_env(&sb, c->env_add);
	int rc = request(r, &sb, fds, 2, &kid, err, sizeof(err));
	sb_release(&sb);
	if (rc)
		*why = xstrdup(err);
	struct kid *k = rc ? NULL : kid_of_call(r, kid.id);
	if (k) {
		bool timed_out = await_call(r, kid.id,
					    c->timeout_ms > 0 ? monotonic_ms() + c->timeout_ms : 0);
		k = kid_of_call(r, kid.id);
		char *out = read_all(fds[0]);
		rc = timed_out || k->sig || k->code || parse_ids(out, ids, n) ? -1 : 0;
		if (rc)
			*why = call_failure(fds[1], k, timed_out, c->timeout_ms);
		free(out);
		send_command(r, "reap%c%d", '\0', (int)k->pid);
		remove_kid(r, k);
	}
	close(fds[0]);
	close(fds[1]);
	return rc;
}

/* ---- stopping ---- */

static void free_runner(struct pyfork *r)
{
	while (r->qhead < r->qlen)
		free((char *)r->queue[r->qhead++].ev.text);
	free(r->queue);
	free(r->kids);
	free(r->text);
	free(r->broken);
	free(r);
}

void pyfork_stop(struct pyfork *r)
{
	if (!r)
		return;
	if (r->sock >= 0) {
		shutdown(r->sock, SHUT_WR);
		int64_t deadline = monotonic_ms() + STOP_GRACE_MS;
		while (r->sock >= 0 && monotonic_ms() < deadline)
			pump(r, poll_ms_until(deadline), NULL);
		if (r->sock >= 0)
			runner_ended(r, true);
	}
	reap_runner(r);
	free_runner(r);
}
