/* SPDX-License-Identifier: MIT */
/*
 * proto_peer - a peer speaking another protocol version, to see that shim
 * and daemon refuse each other cleanly.
 *
 *   proto_peer daemon SOCKET VERSION   answer one shim's hello as a daemon of
 *                                      VERSION would, then exit
 *   proto_peer client SOCKET VERSION   say hello as a shim of VERSION; print
 *                                      the daemon's status and reason
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"

static int unix_socket(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	return socket(AF_UNIX, SOCK_SEQPACKET, 0);
}

static int fake_daemon(const char *path, uint32_t version)
{
	struct sockaddr_un sa;
	struct lsca_hello h;
	struct lsca_welcome w = {.magic = LSCA_PROTO_MAGIC,
				 .version = version,
				 .status = LSCA_WELCOME_VERSION,
				 .reason = "fake daemon"};
	int fd = unix_socket(path, &sa), c;

	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		perror("proto_peer: listen");
		return 1;
	}
	puts("listening");
	fflush(stdout);
	c = accept(fd, NULL, NULL);
	if (c < 0 || recv(c, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		perror("proto_peer: hello");
		return 1;
	}
	printf("hello version %u\n", h.version);
	send(c, &w, sizeof(w), 0);
	close(c);
	return 0;
}

static int fake_client(const char *path, uint32_t version)
{
	struct sockaddr_un sa;
	struct lsca_hello h = {.magic = LSCA_PROTO_MAGIC, .version = version};
	struct lsca_welcome w;
	int fd = unix_socket(path, &sa);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, &h, sizeof(h), 0) < 0 || recv(fd, &w, sizeof(w), 0) != (ssize_t)sizeof(w)) {
		perror("proto_peer: handshake");
		return 1;
	}
	w.reason[sizeof(w.reason) - 1] = '\0';
	printf("status %u version %u reason %s\n", w.status, w.version, w.reason);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: proto_peer daemon|client SOCKET VERSION\n");
		return 2;
	}
	if (!strcmp(argv[1], "daemon"))
		return fake_daemon(argv[2], (uint32_t)atoi(argv[3]));
	return fake_client(argv[2], (uint32_t)atoi(argv[3]));
}
