/* cmdctx.c - the project directory, the loaded project and the open database of a command,
 * set up once for every command as its row in stau.c's table asks. */
#include "cmdctx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "util.h"

/* The database's directory from --state or $STAU_STATE, absolute (relative to where stau
 * was started, as -C is), or NULL for the project's own. */
static char *state_dir_of(const char *opt)
{
	const char *d = opt && *opt ? opt : getenv("STAU_STATE");
	if (!d || !*d)
		return NULL;
	if (d[0] == '/')
		return xstrdup(d);
	char *cwd = getcwd(NULL, 0);
	char *abs = xasprintf("%s/%s", cwd ? cwd : ".", d);
	free(cwd);
	return abs;
}

static char *schedule_text(const char *dir)
{
	char *path = xasprintf("%s/schedule.yaml", dir);
	char *text = read_regular_file(path, NULL, NULL); /* a FIFO would block every command */
	free(path);
	return text;
}

/* settings.state_dir of the project in dir (relative to dir unless absolute), or NULL. Only
 * schedule.yaml is read; a schedule that does not load says nothing here (the command that
 * loads it reports its problems). */
static char *settings_state_dir(const char *dir, const struct project *loaded)
{
	struct project tmp;
	const struct project *p = loaded;
	if (!p) {
		/* most projects do not set it: a look at the text spares every command a parse */
		char *text = schedule_text(dir);
		bool named = text && strstr(text, "state_dir");
		free(text);
		if (!named)
			return NULL;
		memset(&tmp, 0, sizeof(tmp));
		project_load_schedule(dir, &tmp);
		p = &tmp;
	}
	const char *d = p->sched.settings.state_dir;
	char *abs = !d ? NULL : d[0] == '/' ? xstrdup(d) : xasprintf("%s/%s", dir, d);
	if (!loaded)
		project_release(&tmp);
	return abs;
}

bool ctx_state_elsewhere(const struct ctx *ctx)
{
	return ctx->state_given;
}

int ctx_refuse_future(const struct ctx *ctx, const char *cmd, int64_t now)
{
	int64_t ahead = now - (int64_t)time(NULL);
	if (ahead <= 60 || ctx_state_elsewhere(ctx))
		return EXIT_OK;
	char how[48];
	duration_format(ahead * 1000, 2, how, sizeof(how));
	error("--now is %s ahead of the clock: what '%s' records there would stay in this "
	      "project's state as if it had happened, and hold its real ticks back; use 'stau "
	      "simulate --from T1 --to T2' to see what the schedule would do, or '--state DIR' "
	      "to record in a scratch database", how, cmd);
	return EXIT_USAGE;
}

int ctx_setup(struct ctx *ctx, int needs, const char *dir_opt)
{
	ctx->state_dir = state_dir_of(ctx->state_opt);
	ctx->state_given = ctx->state_dir != NULL;
	if (needs & NEED_PROJECT) {
		ctx->dir = project_find_dir(dir_opt);
		if (!ctx->dir)
			return EXIT_USAGE;
	}
	if ((needs & NEED_CONFIG) == NEED_CONFIG) {
		project_load(ctx->dir, &ctx->p);
		ctx->loaded = true;
	}
	if ((needs & NEED_PROJECT) && !ctx->state_dir)
		ctx->state_dir = settings_state_dir(ctx->dir, ctx->loaded ? &ctx->p : NULL);
	if ((needs & NEED_STATE) == NEED_STATE)
		return ctx_open_state(ctx, true);
	if ((needs & NEED_STATE_GENTLY) == NEED_STATE_GENTLY)
		return ctx_open_state(ctx, false);
	return EXIT_OK;
}

static bool have_database(const struct ctx *ctx)
{
	char *path = ctx->state_dir ? xasprintf("%s/stau.db", ctx->state_dir)
				    : xasprintf("%s/.stau/stau.db", ctx->dir);
	bool exists = access(path, F_OK) == 0;
	free(path);
	return exists;
}

/* Makes path name dir, unless it exists: the text is written to a file of this process and
 * linked to path, which fails with EEXIST when another command got there first (a rename
 * would replace its claim). Returns 0, or -1 with errno set. */
static int claim_owner(const char *path, const char *dir)
{
	char *tmp = xasprintf("%s.%ld", path, (long)getpid());
	char *text = xasprintf("%s\n", dir);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc = fd < 0 || write_all(fd, text, strlen(text)) ? -1 : 0;
	if (fd >= 0 && close(fd))
		rc = -1;
	if (!rc)
		rc = link(tmp, path);
	int saved = errno;
	unlink(tmp);
	free(tmp);
	free(text);
	errno = saved;
	return rc;
}

/* The project DIR/project names, claimed for ctx->dir when there is none; NULL after
 * saying why not. */
static char *state_owner(const struct ctx *ctx, const char *path)
{
	if (mkdir(ctx->state_dir, 0700) == 0) {
		chmod(ctx->state_dir, 0700); /* whatever the umask, as state_open_at makes it */
	} else if (errno != EEXIST) {
		error("cannot create '%s': %s", ctx->state_dir, strerror(errno));
		return NULL;
	}
	char *owner = read_regular_file(path, NULL, NULL);
	if (!owner && errno == ENOENT) {
		if (!claim_owner(path, ctx->dir))
			return xstrdup(ctx->dir);
		if (errno != EEXIST) {
			error("cannot write '%s': %s", path, strerror(errno));
			return NULL;
		}
		owner = read_regular_file(path, NULL, NULL); /* another command's claim */
	}
	if (!owner)
		error("cannot read '%s': %s", path, strerror(errno));
	return owner;
}

/* A database kept elsewhere belongs to one project: DIR/project names it, made (at most
 * once, whoever comes first) before the database is first opened, so that two projects
 * given one --state never mix their runs and a refused one never touches the other's. */
static int check_state_owner(const struct ctx *ctx)
{
	char *path = xasprintf("%s/project", ctx->state_dir);
	char *owner = state_owner(ctx, path);
	int rc = owner ? EXIT_OK : EXIT_STATE;
	if (owner) {
		owner[strcspn(owner, "\n")] = '\0';
		if (strcmp(owner, ctx->dir)) {
			error("'%s' holds the database of the project %s, not of %s: give each "
			      "project its own --state directory (if the project moved, write its "
			      "new path in %s)", ctx->state_dir, owner, ctx->dir, path);
			rc = EXIT_STATE;
		}
	}
	free(owner);
	free(path);
	return rc;
}

int ctx_open_state(struct ctx *ctx, bool create)
{
	char err[512];
	if (!create && !have_database(ctx))
		return EXIT_OK;
	if (ctx->state_dir && check_state_owner(ctx))
		return EXIT_STATE;
	int rc = ctx->state_dir ? state_open_at(ctx->state_dir, &ctx->st, err, sizeof(err))
				: state_open(ctx->dir, &ctx->st, err, sizeof(err));
	if (rc) {
		error("%s", err);
		return EXIT_STATE;
	}
	return EXIT_OK;
}

static int unknown_job(const struct project *p, const char *type)
{
	const char **names = xcalloc(p->njobs + 1, sizeof(*names));
	for (size_t i = 0; i < p->njobs; i++)
		names[i] = p->jobs[i].type;
	const char *near = spell_suggest(type, names);
	if (near)
		error("unknown job '%s' (did you mean '%s'?)", type, near);
	else
		error("unknown job '%s': no file in jobs/ has that job type; see 'stau status'",
		      type);
	free(names);
	return EXIT_USAGE;
}

int ctx_master_job(const struct ctx *ctx, const char *type, const struct graph_node **master)
{
	const struct project *p = &ctx->p;
	if (p->unusable) {
		diags_print(&p->diags, stderr);
		return EXIT_USAGE;
	}
	*master = graph_find(&p->graph, type);
	return *master ? EXIT_OK : unknown_job(p, type);
}

void ctx_release(struct ctx *ctx)
{
	state_close(ctx->st);
	ctx->st = NULL;
	if (ctx->loaded)
		project_release(&ctx->p);
	ctx->loaded = false;
	free(ctx->dir);
	ctx->dir = NULL;
	free(ctx->state_dir);
	ctx->state_dir = NULL;
	ctx->state_given = false;
}
