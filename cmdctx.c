/* cmdctx.c - the project directory, the loaded project and the open database of a command,
 * set up once for every command as its row in stau.c's table asks. */
#include "cmdctx.h"

#include <stdlib.h>
#include <unistd.h>

#include "msg.h"
#include "util.h"

int ctx_setup(struct ctx *ctx, int needs, const char *dir_opt)
{
	if (needs & NEED_PROJECT) {
		ctx->dir = project_find_dir(dir_opt);
		if (!ctx->dir)
			return EXIT_USAGE;
	}
	if ((needs & NEED_CONFIG) == NEED_CONFIG) {
		project_load(ctx->dir, &ctx->p);
		ctx->loaded = true;
	}
	if ((needs & NEED_STATE) == NEED_STATE)
		return ctx_open_state(ctx, true);
	if ((needs & NEED_STATE_GENTLY) == NEED_STATE_GENTLY)
		return ctx_open_state(ctx, false);
	return EXIT_OK;
}

static bool have_database(const char *dir)
{
	char *path = xasprintf("%s/.stau/stau.db", dir);
	bool exists = access(path, F_OK) == 0;
	free(path);
	return exists;
}

int ctx_open_state(struct ctx *ctx, bool create)
{
	char err[512];
	if (!create && !have_database(ctx->dir))
		return EXIT_OK;
	if (state_open(ctx->dir, &ctx->st, err, sizeof(err))) {
		error("%s", err);
		return EXIT_STATE;
	}
	return EXIT_OK;
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
}
