/*
 * Serializes libunbound's ub_ctx_config() inside OpenDKIM (loaded with LD_PRELOAD by deploy/lib/dkimverify.sh).
 *
 * Why: OpenDKIM 2.11.0 (Debian) gives every message its own VBR resolver context and, when ResolverConfiguration is
 * set, has libunbound parse that file for each one. libunbound's config parser is a non-reentrant flex/bison parser
 * with global state, so two messages at once can crash the verifier (seen here: SIGSEGV in fread under
 * ub_ctx_config <- vbr_dns_config, while mail arrived on three connections). Upstream's fix is this same mutex
 * (trusteddomainproject/OpenDKIM#14); Debian's build does not have it. docs/adr/0030.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>

struct ub_ctx;

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;

int ub_ctx_config(struct ub_ctx *ctx, const char *fname)
{
    static int (*real)(struct ub_ctx *, const char *);
    int status;

    pthread_mutex_lock(&config_lock);
    if (real == NULL)
        *(void **) &real = dlsym(RTLD_NEXT, "ub_ctx_config");
    /* UB_INITFAIL: the caller turns any non-zero status into a tempfail, never a crash. */
    status = real != NULL ? real(ctx, fname) : -7;
    pthread_mutex_unlock(&config_lock);
    return status;
}
