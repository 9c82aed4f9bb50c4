/* SPDX-License-Identifier: MIT */
/*
 * thread_io [N] - creates N threads (default 500) at once, each writing,
 * re-reading and renaming its own file and writing its own slice of one
 * shared file with pwrite; joins them all and prints what each saw. Run
 * natively and under LSCA by transparency.sh (case threads500): hundreds of
 * threads with calls in flight at once, each answer for the right thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLICE	    512
#define MAX_THREADS 1000

struct job {
	pthread_t tid;
	int n;
	int shared;
	uint64_t sum;
	long long size;
	char err[64];
};

static uint64_t fnv(const unsigned char *p, size_t n, uint64_t h)
{
	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h;
}

static void *work(void *arg)
{
	struct job *j = arg;
	unsigned char buf[8192], back[8192];
	char name[64], done[64];
	size_t len = 1000 + (size_t)j->n * 7;
	struct stat st;
	int fd;

	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)((j->n * 13 + i) % 253);
	snprintf(name, sizeof(name), "t/thread-%03d.tmp", j->n);
	snprintf(done, sizeof(done), "t/thread-%03d.dat", j->n);
	fd = open(name, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, len / 2) != (ssize_t)(len / 2) ||
	    write(fd, buf + len / 2, len - len / 2) != (ssize_t)(len - len / 2) ||
	    lseek(fd, 0, SEEK_SET) != 0 || read(fd, back, sizeof(back)) != (ssize_t)len ||
	    fstat(fd, &st) != 0 || close(fd) != 0 || rename(name, done) != 0 ||
	    stat(done, &st) != 0) {
		snprintf(j->err, sizeof(j->err), "%s", strerror(errno));
		return NULL;
	}
	if (memcmp(buf, back, len) != 0)
		snprintf(j->err, sizeof(j->err), "read back differs");
	j->size = (long long)st.st_size;
	j->sum = fnv(back, len, 1469598103934665603ull);
	memset(buf, 'a' + j->n % 26, SLICE);
	if (pwrite(j->shared, buf, SLICE, (off_t)j->n * SLICE) != SLICE)
		snprintf(j->err, sizeof(j->err), "pwrite: %s", strerror(errno));
	return NULL;
}

int main(int argc, char **argv)
{
	static struct job jobs[MAX_THREADS];
	int n = argc > 1 ? atoi(argv[1]) : 500;
	unsigned char slice[SLICE];
	pthread_attr_t attr;
	uint64_t all;
	int shared, bad = 0;

	if (n < 1 || n > MAX_THREADS || mkdir("t", 0755) != 0) {
		perror("setup");
		return 1;
	}
	shared = open("shared.dat", O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
	if (shared < 0) {
		perror("shared.dat");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (int i = 0; i < n; i++) {
		int e;

		jobs[i].n = i;
		jobs[i].shared = shared;
		e = pthread_create(&jobs[i].tid, &attr, work, &jobs[i]);
		if (e != 0) {
			fprintf(stderr, "pthread_create %d: %s\n", i, strerror(e));
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(jobs[i].tid, NULL);
		if (jobs[i].err[0])
			bad++;
		printf("thread %03d: size %lld fnv %016llx %s\n", i, jobs[i].size,
		       (unsigned long long)jobs[i].sum, jobs[i].err[0] ? jobs[i].err : "ok");
	}
	all = 1469598103934665603ull;
	for (int i = 0; i < n; i++) {
		if (pread(shared, slice, SLICE, (off_t)i * SLICE) != SLICE ||
		    slice[0] != 'a' + i % 26 || slice[SLICE - 1] != 'a' + i % 26)
			bad++;
		all = fnv(slice, SLICE, all);
	}
	close(shared);
	pthread_attr_destroy(&attr);
	printf("%d threads, shared fnv %016llx, %d bad\n", n, (unsigned long long)all, bad);
	return bad ? 1 : 0;
}
