/* SPDX-License-Identifier: proprietary */
/*
 * Replays a fuzz target's corpus (tests/corpus/<target>/: seeds and any
 * crashers found) as an ordinary Criterion test, so CI without libFuzzer still
 * runs every input a fuzzer ever kept. Built once per target, with
 * -DFUZZ_TARGET="<target>", beside the target's own source.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET must name the corpus folder"
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

TestSuite(fuzz_corpus);

Test(fuzz_corpus, replay)
{
	const char *root = getenv("MCPX_CORPUS");
	char dir[4096], path[4096 + 256];
	struct dirent *e;
	unsigned int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", root != NULL ? root : "tests/corpus", FUZZ_TARGET);
	d = opendir(dir);
	cr_assert_not_null(d, "no corpus at %s", dir);
	while ((e = readdir(d)) != NULL) {
		uint8_t *buf;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		buf = slurp(path, &len);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	cr_assert_gt(n, 0, "empty corpus %s", dir);
	cr_log_info("%s: %u inputs replayed", FUZZ_TARGET, n);
}
