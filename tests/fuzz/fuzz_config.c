// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_config.c - libFuzzer target: the daemon's configuration file and the
 * web configuration file with arbitrary contents.
 *
 * Byte 0 picks the parser (even: --config.file through ns_config_load(),
 * with all collectors so that every collector's options are parsed; odd:
 * ns_webconfig_load()); the rest is the file. Either may refuse the file,
 * with a message; neither may crash, leak or trip ASan/UBSan.
 *
 * Web configs with a bcrypt hash of cost above FUZZ_MAX_BCRYPT_COST are
 * skipped: loading one runs a bcrypt of that cost on purpose (seconds at
 * the accepted maximum, 17, more under ASan), which is the point of bcrypt,
 * not a defect; the refusal of costs above 17 has its own test in
 * tests/web.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "webconfig.h"

#define FUZZ_MAX_BCRYPT_COST 6

static char path[64];

/* Does the input hold "$2a$NN$" (a, b or y) with NN above the fuzzing bound? */
static int costly_bcrypt(const uint8_t *d, size_t n)
{
	for (size_t i = 0; i + 7 <= n; i++)
		if (d[i] == '$' && d[i + 1] == '2' &&
		    (d[i + 2] == 'a' || d[i + 2] == 'b' || d[i + 2] == 'y') && d[i + 3] == '$' &&
		    d[i + 4] >= '0' && d[i + 4] <= '9' && d[i + 5] >= '0' && d[i + 5] <= '9' &&
		    d[i + 6] == '$' &&
		    (d[i + 4] - '0') * 10 + (d[i + 5] - '0') > FUZZ_MAX_BCRYPT_COST)
			return 1;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	strcpy(path, "/tmp/ns_fuzz_cfg_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_err e = {{0}};
	FILE *f;

	if (size < 1 || (data[0] % 2 == 1 && costly_bcrypt(data, size)))
		return 0;
	f = fopen(path, "w");
	if (!f)
		abort();
	if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1)
		abort();
	fclose(f);

	if (data[0] % 2 == 0) {
		char arg[96];
		char *argv[] = {"netstack_exporter", arg, NULL};
		struct ns_config cfg;

		snprintf(arg, sizeof(arg), "--config.file=%s", path);
		memset(&cfg, 0, sizeof(cfg));
		ns_config_load(&cfg, 2, argv, &e);
		ns_config_free(&cfg);
	} else {
		struct ns_webconfig *wc = NULL;

		if (ns_webconfig_load(&wc, path, &e) == 0)
			ns_webconfig_free(wc);
	}
	return 0;
}
