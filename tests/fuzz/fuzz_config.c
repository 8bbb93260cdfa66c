/*
 * fuzz_config.c -- config_load() on any file: the input is written to
 * /tmp/fuzz_config.PID.ini (one per process, removed at exit) and
 * loaded.  The outcome is a whole snapshot or one message that names
 * a file ("FILE: ..."), never both, never neither; the snapshot is
 * freed again (LeakSanitizer checks both paths).  Errors such as a
 * missing exec or an unknown user are valid outcomes.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char	path[64];

static void
cleanup(void)
{
	if (path[0] != '\0')
		(void)unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	(void)snprintf(path, sizeof(path), "/tmp/fuzz_config.%ld.ini",
	    (long)getpid());
	atexit(cleanup);
	return 0;
}

static void
write_file(const uint8_t *data, size_t size)
{
	ssize_t	 n;
	size_t	 off;
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd != -1);
	for (off = 0; off < size; off += (size_t)n)
		FUZZ_CHECK((n = write(fd, data + off, size - off)) > 0);
	FUZZ_CHECK(close(fd) == 0);
}

static void
snapshot_check(const struct config *cf)
{
	const struct fn	*fn;
	size_t		 i, j;

	FUZZ_CHECK(cf->cf_refs == 1 && strcmp(cf->cf_path, path) == 0);
	FUZZ_CHECK(cf->cf_listen != NULL && cf->cf_user != NULL &&
	    cf->cf_runtime_dir != NULL && cf->cf_billing_db != NULL);
	FUZZ_CHECK(cf->cf_nfns == 0 || cf->cf_fns != NULL);
	for (i = 0; i < cf->cf_nfns; i++) {
		fn = cf->cf_fns[i];
		FUZZ_CHECK(fn != NULL && fn->fn_index == (int)i);
		FUZZ_CHECK(fn->fn_name != NULL && fn->fn_route != NULL);
		FUZZ_CHECK(fn->fn_exec != NULL && fn->fn_exec[0] == '/');
		FUZZ_CHECK(fn->fn_argv != NULL && fn->fn_argv[0] != NULL);
		FUZZ_CHECK(fn->fn_methods != 0 &&
		    (fn->fn_methods & ~(unsigned)M_ALL) == 0);
		FUZZ_CHECK(config_fn(cf, fn->fn_name) == fn);
		for (j = 0; fn->fn_env != NULL && fn->fn_env[j] != NULL; j++)
			FUZZ_CHECK(strchr(fn->fn_env[j], '=') != NULL);
	}
	for (i = 0; i < cf->cf_ntenants; i++)
		FUZZ_CHECK(cf->cf_tenants[i] != NULL &&
		    cf->cf_tenants[i]->t_name != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cf;
	const char	*errstr = NULL;
	size_t		 plen = strlen(path);

	write_file(data, size);
	cf = config_load(path, &errstr);
	if (cf != NULL) {
		snapshot_check(cf);
		config_free(cf);
		return 0;
	}
	/* "FILE: ...": the main file, or an included one (absolute). */
	FUZZ_CHECK(errstr != NULL && errstr[0] != '\0');
	FUZZ_CHECK((strncmp(errstr, path, plen) == 0 &&
	    errstr[plen] == ':') || errstr[0] == '/');
	FUZZ_CHECK(strstr(errstr, ": ") != NULL);
	return 0;
}
