/* SPDX-License-Identifier: MIT */
/* review_suidhelper.c - stands for any setuid-root program that holds a
 * privileged file open for a while (su or passwd at a prompt). The test
 * makes a scratch copy of it setuid root; review_setuid attacks it. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/etc/shadow", O_RDONLY);

	fprintf(stderr, "suidhelper: euid %d opened /etc/shadow as fd %d\n", (int)geteuid(), fd);
	sleep(3);
	return 0;
}
