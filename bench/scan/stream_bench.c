/* Streaming API overhead: the same bytes fed in chunks of 1 byte, 1 KiB and 64 KiB.
 * Usage: stream_bench FILE TOTAL_MIB CHUNK   (FILE is repeated until TOTAL_MIB are fed) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scan/scan.h"

static int count(const struct scan_finding *f, void *ctx)
{
	(void)f;
	(*(size_t *)ctx)++;
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: stream_bench FILE TOTAL_MIB CHUNK\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	size_t n = (size_t)ftell(f);
	rewind(f);
	char *buf = malloc(n);
	if (!buf || fread(buf, 1, n, f) != n)
		return 2;
	fclose(f);
	size_t total = (size_t)atol(argv[2]) << 20, chunk = (size_t)atol(argv[3]);
	const struct scan_db *db = scan_db_get(NULL);
	size_t found = 0, fed = 0;
	struct scan_stream *st = scan_stream_open(db, count, &found);
	double t0 = now(), c0 = cpu();
	while (fed < total) {
		for (size_t off = 0; off < n && fed < total; off += chunk) {
			size_t k = n - off < chunk ? n - off : chunk;
			scan_stream_feed(st, buf + off, k);
			fed += k;
		}
	}
	scan_stream_close(st);
	double wall = now() - t0, c = cpu() - c0;
	printf("chunk %zu: %.0f MiB in %.2f s wall, %.2f s cpu: %.1f MiB/s wall, %.1f MiB/s cpu, "
	       "%zu findings, stream state %zu bytes\n",
	       chunk, (double)fed / 1048576, wall, c, (double)fed / 1048576 / wall,
	       (double)fed / 1048576 / c, found, scan_db_stream_size(db));
	free(buf);
	return 0;
}
