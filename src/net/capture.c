#include "net/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/nft.h"
#include "util/xalloc.h"

int capture_loopback_up(char **err)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags |= IFF_UP | IFF_RUNNING, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
		*err = xasprintf("cannot bring up the cell's loopback interface: %s", strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	close(s);
	return 0;
}

/* Without a route, connect() to an outside address fails with ENETUNREACH before the redirect
 * rule ever sees it; a default route on loopback gives the rule a packet to rewrite, and
 * nothing can leave through it because loopback leads nowhere. The IPv4 route names 127.0.0.1
 * as its source: with no source, the kernel picks 0.0.0.0 and replies addressed to it go astray.
 * Netlink, because the old route ioctl cannot set a preferred source. */
static int add_route(int nl, int family, int ifindex, unsigned seq)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		char attrs[64];
	} req = {0};
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.rt);
	req.nh.nlmsg_type = RTM_NEWROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	req.nh.nlmsg_seq = seq;
	req.rt.rtm_family = (unsigned char)family;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTPROT_BOOT;
	req.rt.rtm_scope = RT_SCOPE_LINK;
	req.rt.rtm_type = RTN_UNICAST;
	struct rtattr *a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
	a->rta_type = RTA_OIF;
	a->rta_len = RTA_LENGTH(sizeof(int));
	memcpy(RTA_DATA(a), &ifindex, sizeof(int));
	req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	if (family == AF_INET) {
		uint32_t lo = htonl(INADDR_LOOPBACK);
		a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
		a->rta_type = RTA_PREFSRC;
		a->rta_len = RTA_LENGTH(sizeof lo);
		memcpy(RTA_DATA(a), &lo, sizeof lo);
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
	}
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(nl, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -errno;
	char buf[512];
	ssize_t n = recv(nl, buf, sizeof buf, 0);
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || nh->nlmsg_type != NLMSG_ERROR)
		return -EIO;
	int e = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	return e == -EEXIST ? 0 : e;
}

static int default_routes(char **err)
{
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int ifindex = (int)if_nametoindex("lo");
	int e = nl < 0 ? -errno : add_route(nl, AF_INET, ifindex, 1);
	if (e < 0) {
		*err = xasprintf("cannot add the cell's default route: %s", strerror(-e));
		if (nl >= 0)
			close(nl);
		return -1;
	}
	add_route(nl, AF_INET6, ifindex, 2); /* IPv6 may be disabled: then nothing to route */
	close(nl);
	return 0;
}

int capture_setup(int trans_port, char **err)
{
	if (default_routes(err) < 0)
		return -1;
	return nft_install_capture(trans_port, err);
}
