/* SPDX-License-Identifier: MIT */
#include "procwatch.h"

#include <errno.h>
#include <glib-unix.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdalign.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "lscad.h"

/* An exec: every client of that process that attached before it is the
 * old program's. (The new image attaches after the event; its client is
 * younger than the event's timestamp.) */
static void on_exec(struct lscad *d, pid_t tgid, uint64_t when_ns)
{
	for (struct client *c = d->clients; c; c = c->next)
		if (c->pid == tgid && c->attached_ns < when_ns &&
		    !atomic_exchange_explicit(&c->execd, true, memory_order_acq_rel)) {
			log_debug("pid %d (%s) executed a new program", (int)c->pid, c->comm);
			lsca_doorbell_kick(&c->ring);
		}
}

static gboolean on_events(gint fd, GIOCondition cond, gpointer data)
{
	alignas(struct nlmsghdr) char buf[4096];
	ssize_t n;

	(void)cond;
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct cn_msg *m = NLMSG_DATA(h);
			struct proc_event *ev = (struct proc_event *)m->data;

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m) + sizeof(*ev)))
				continue;
			if (ev->what == PROC_EVENT_EXEC)
				on_exec(data, ev->event_data.exec.process_tgid, ev->timestamp_ns);
		}
	}
	if (n < 0 && errno == ENOBUFS)
		log_warn("missed process events (the kernel's buffer overflowed)");
	return G_SOURCE_CONTINUE;
}

int procwatch_start(struct lscad *d)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0};
	/* nlmsghdr, cn_msg, then the operation: laid out by hand, since
	 * cn_msg ends in a flexible array */
	alignas(struct nlmsghdr) char
	    req[NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))];
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	struct cn_msg *m = NLMSG_DATA(h);
	enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	int size = 4 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	memset(req, 0, sizeof(req));
	h->nlmsg_len = sizeof(req);
	h->nlmsg_type = NLMSG_DONE;
	m->id.idx = CN_IDX_PROC;
	m->id.val = CN_VAL_PROC;
	m->len = sizeof(op);
	memcpy(m->data, &op, sizeof(op));
	if (send(fd, req, sizeof(req), 0) < 0)
		goto fail;
	g_unix_fd_add(fd, G_IO_IN, on_events, d);
	return 0;
fail : {
	int e = errno;

	close(fd);
	return -e;
}
}
