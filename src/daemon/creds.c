/* SPDX-License-Identifier: MIT */
#include "creds.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"

static uint64_t daemon_cap_prm;
static bool daemon_root;

static int cap_get(pid_t pid, uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = pid};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*eff = d[0].effective | (uint64_t)d[1].effective << 32;
	*prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	return 0;
}

static int cap_set_thread(uint64_t eff, uint64_t prm)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2] = {
	    {.effective = (uint32_t)eff, .permitted = (uint32_t)prm, .inheritable = 0},
	    {.effective = (uint32_t)(eff >> 32), .permitted = (uint32_t)(prm >> 32)},
	};

	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int parse_ids(const char *s, unsigned v[4])
{
	return sscanf(s, "%u %u %u %u", &v[0], &v[1], &v[2], &v[3]) == 4 ? 0 : -EINVAL;
}

int creds_read(pid_t pid, pid_t tid, int pidfd, struct creds *out)
{
	char buf[8192], *line, *save = NULL;
	struct creds c = {.seccomp = 0};
	unsigned got = 0, v[4];
	ssize_t n;
	int fd = -1;

	/* under the client's own task/: a tid of another process is not there */
	if (tid > 0)
		fd = procfs_open(O_RDONLY, "%d/task/%d/status", (int)pid, (int)tid);
	if (fd < 0)
		fd = procfs_open(O_RDONLY, "%d/status", (int)pid);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "Uid:", 4) && !parse_ids(line + 4, v)) {
			c.ruid = v[0], c.euid = v[1], c.suid = v[2], c.fsuid = v[3];
			got |= 1;
		} else if (!strncmp(line, "Gid:", 4) && !parse_ids(line + 4, v)) {
			c.rgid = v[0], c.egid = v[1], c.sgid = v[2], c.fsgid = v[3];
			got |= 2;
		} else if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;

			for (;;) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p)
					break;
				if (c.ngroups == CREDS_MAX_GROUPS)
					return -E2BIG;
				c.groups[c.ngroups++] = (gid_t)g;
				p = end;
			}
			got |= 4;
		} else if (!strncmp(line, "CapEff:", 7)) {
			c.cap_eff = strtoull(line + 7, NULL, 16);
			got |= 8;
		} else if (!strncmp(line, "CapPrm:", 7)) {
			c.cap_prm = strtoull(line + 7, NULL, 16);
			got |= 16;
		} else if (!strncmp(line, "PPid:", 5)) {
			c.ppid = (pid_t)strtol(line + 5, NULL, 10);
		} else if (!strncmp(line, "Umask:", 6)) {
			c.umask = (mode_t)strtoul(line + 6, NULL, 8) & 0777;
			got |= 32;
		} else if (!strncmp(line, "Seccomp:", 8)) {
			c.seccomp = atoi(line + 8);
		} else if (!strncmp(line, "NoNewPrivs:", 11)) {
			c.no_new_privs = atoi(line + 11) != 0;
		}
	}
	if ((got & 31) != 31)
		return -EINVAL;
	if (!(got & 32))
		c.umask = 022;
	{
		/* lscad's writes obey lscad's own limit, not the client's */
		struct rlimit rl;

		c.fsize_limited =
		    prlimit(pid, RLIMIT_FSIZE, NULL, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
	}
	/* the pid might have been recycled while we read: the pidfd knows */
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		return -ESRCH;
	*out = c;
	return 0;
}

bool creds_privileged(const struct creds *c)
{
	return c->cap_eff || c->cap_prm;
}

bool creds_caps_current(pid_t task, const struct creds *c)
{
	uint64_t eff = 0, prm = 0;

	if (cap_get(task, &eff, &prm) < 0)
		return false;
	return eff == c->cap_eff && prm == c->cap_prm;
}

bool creds_same_ids(const struct creds *a, const struct creds *b)
{
	if (a->ruid != b->ruid || a->euid != b->euid || a->suid != b->suid ||
	    a->fsuid != b->fsuid || a->rgid != b->rgid || a->egid != b->egid ||
	    a->sgid != b->sgid || a->fsgid != b->fsgid || a->ngroups != b->ngroups)
		return false;
	return !memcmp(a->groups, b->groups, (size_t)a->ngroups * sizeof(gid_t));
}

static bool id_in(uid_t id, uid_t a, uid_t b, uid_t c)
{
	return id == a || id == b || id == c;
}

static bool group_in(gid_t g, const struct creds *c)
{
	if (g == c->rgid || g == c->egid || g == c->sgid)
		return true;
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return true;
	return false;
}

bool creds_gained(const struct creds *was, const struct creds *now)
{
	/* a process may move among the ids it had (seteuid back and forth);
	 * with CAP_SETUID/CAP_SETGID it could take any: that is no gain */
	bool any_uid = was->cap_prm & (1ull << 7), any_gid = was->cap_prm & (1ull << 6);

	if (now->cap_prm & ~was->cap_prm)
		return true;
	if (!any_uid && (!id_in(now->ruid, was->ruid, was->euid, was->suid) ||
			 !id_in(now->euid, was->ruid, was->euid, was->suid) ||
			 !id_in(now->suid, was->ruid, was->euid, was->suid) ||
			 !id_in(now->fsuid, was->ruid, was->euid, was->suid)))
		return true;
	if (any_gid)
		return false;
	if (!group_in(now->rgid, was) || !group_in(now->egid, was) || !group_in(now->sgid, was) ||
	    !group_in(now->fsgid, was))
		return true;
	for (int i = 0; i < now->ngroups; i++)
		if (!group_in(now->groups[i], was))
			return true;
	return false;
}

int creds_init_daemon(void)
{
	uint64_t eff;
	int r;

	daemon_root = geteuid() == 0;
	r = cap_get(0, &eff, &daemon_cap_prm);
	return r;
}

bool creds_daemon_can_switch(void)
{
	return daemon_root;
}

/* What a worker keeps besides the client's effective set: CAP_SYS_PTRACE,
 * for pidfd_getfd on the client (its real uid stays 0, see below). It
 * grants nothing through the calls lscad executes: their paths are walked
 * without magic links (resolve.c) and procfs results are never served. */
#define WORKER_CAPS (1ull << CAP_SYS_PTRACE)

/* The fs identity and capabilities of the calling thread. Its real and
 * saved uid stay 0: a thread whose real uid were the client's could be
 * signalled by the client's user, and a SIGKILL to any thread kills lscad. */
static int set_fs_identity(uid_t fsuid, gid_t fsgid, uint64_t caps)
{
	int r = cap_set_thread(daemon_cap_prm, daemon_cap_prm);

	if (r < 0)
		return r;
	syscall(SYS_setfsgid, fsgid);
	if ((gid_t)syscall(SYS_setfsgid, -1) != fsgid)
		return -EPERM;
	syscall(SYS_setfsuid, fsuid);
	if ((uid_t)syscall(SYS_setfsuid, -1) != fsuid)
		return -EPERM;
	/* the client's effective set, never more than ours */
	return cap_set_thread((caps | WORKER_CAPS) & daemon_cap_prm, daemon_cap_prm);
}

int creds_apply_thread(const struct creds *c)
{
	int r = cap_set_thread(daemon_cap_prm, daemon_cap_prm);

	if (r == 0 && syscall(SYS_setgroups, c->ngroups, c->groups) < 0)
		r = -errno;
	if (r == 0)
		r = set_fs_identity(c->fsuid, c->fsgid, c->cap_eff);
	if (r < 0)
		cap_set_thread(0, daemon_cap_prm); /* never act with ours */
	return r;
}

int creds_as_daemon(void)
{
	return cap_set_thread(daemon_cap_prm, daemon_cap_prm);
}

/* access(2) without AT_EACCESS checks with the real ids, and with the
 * permitted set only for a real root. */
static uint64_t real_caps(const struct creds *c)
{
	return c->ruid == 0 ? c->cap_prm : 0;
}

bool creds_enter_real(const struct creds *c)
{
	if (c->ruid == c->fsuid && c->rgid == c->fsgid && real_caps(c) == c->cap_eff)
		return false;
	set_fs_identity(c->ruid, c->rgid, real_caps(c));
	return true;
}

void creds_leave_real(const struct creds *c)
{
	set_fs_identity(c->fsuid, c->fsgid, c->cap_eff);
}
