/* SPDX-License-Identifier: MIT */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

union fd_cmsg {
	char buf[CMSG_SPACE(sizeof(int) * LSCA_PASS_FDS)];
	struct cmsghdr align;
};

int lsca_send_fds(int sock, const void *buf, size_t len, const int *fds, unsigned n, int flags)
{
	union fd_cmsg u;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (n > LSCA_PASS_FDS)
		return -EINVAL;
	if (n) {
		struct cmsghdr *cm;

		memset(&u, 0, sizeof(u));
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	return syscall(SYS_sendmsg, sock, &msg, flags) < 0 ? -errno : 0;
}

int lsca_send_fd(int sock, const void *buf, size_t len, int fd, int flags)
{
	return lsca_send_fds(sock, buf, len, &fd, fd >= 0, flags);
}

long lsca_recv_fds(int sock, void *buf, size_t len, int *fds, unsigned n, bool *dropped, int flags)
{
	union fd_cmsg u;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *cm;
	unsigned got = 0;
	long r;

	for (unsigned i = 0; i < n; i++)
		fds[i] = -1;
	r = syscall(SYS_recvmsg, sock, &msg, flags);
	if (r < 0)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len >= CMSG_LEN(0))
		got = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	for (unsigned i = 0; i < got && i < LSCA_PASS_FDS; i++) {
		int fd;

		memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		if (i < n)
			fds[i] = fd;
		else
			syscall(SYS_close, fd); /* more than the caller takes */
	}
	if (dropped)
		*dropped = (msg.msg_flags & MSG_CTRUNC) != 0;
	return r;
}

long lsca_recv_fd(int sock, void *buf, size_t len, int *fd, bool *dropped, int flags)
{
	return lsca_recv_fds(sock, buf, len, fd, 1, dropped, flags);
}
