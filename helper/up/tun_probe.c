/* SPDX-License-Identifier: BSD-3-Clause */
/* tun_probe.c - see tun_probe.h. */
#include "up/tun_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int has_net_admin(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capget, &h, d) != 0)
		return 0;
	return (d[CAP_NET_ADMIN / 32].effective >> (CAP_NET_ADMIN % 32)) & 1;
}

int tn_tun_usable(const char *device, char *why, size_t size)
{
	int fd = open(device, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, size, "%s cannot be opened: %s", device, strerror(errno));
		return 0;
	}
	close(fd);
	if (!has_net_admin()) {
		snprintf(why, size, "no CAP_NET_ADMIN (needed to configure %s's interface)", device);
		return 0;
	}
	return 1;
}
