#include "net/nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xalloc.h"

#define TABLE "brig"
/* Destination address offsets in the IPv4 and IPv6 headers. */
#define IPV4_DADDR_OFFSET 16
#define IPV6_DADDR_OFFSET 24

struct batch {
	struct mnl_nlmsg_batch *b;
	char *buf;
	uint32_t seq;
};

static struct nlmsghdr *next_hdr(struct batch *bt)
{
	return (struct nlmsghdr *)mnl_nlmsg_batch_current(bt->b);
}

static void add_table(struct batch *bt)
{
	struct nftnl_table *t = nftnl_table_alloc();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	struct nlmsghdr *nh = nftnl_table_nlmsg_build_hdr((char *)next_hdr(bt), NFT_MSG_NEWTABLE,
							   NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK,
							   bt->seq++);
	nftnl_table_nlmsg_build_payload(nh, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(bt->b);
}

static void add_chain(struct batch *bt, const char *name, const char *type, int prio,
		      unsigned policy)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_OUT);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, policy);
	struct nlmsghdr *nh = nftnl_chain_nlmsg_build_hdr((char *)next_hdr(bt), NFT_MSG_NEWCHAIN,
							   NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK,
							   bt->seq++);
	nftnl_chain_nlmsg_build_payload(nh, c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(bt->b);
}

static void expr_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void expr_cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	nftnl_rule_add_expr(r, e);
}

static void expr_payload(struct nftnl_rule *r, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
}

static void expr_mask(struct nftnl_rule *r, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	nftnl_rule_add_expr(r, e);
}

static void expr_verdict(struct nftnl_rule *r, int verdict)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	nftnl_rule_add_expr(r, e);
}

static struct nftnl_rule *rule_new(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

static void rule_add(struct batch *bt, struct nftnl_rule *r)
{
	struct nlmsghdr *nh = nftnl_rule_nlmsg_build_hdr((char *)next_hdr(bt), NFT_MSG_NEWRULE,
							  NFPROTO_INET,
							  NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK,
							  bt->seq++);
	nftnl_rule_nlmsg_build_payload(nh, r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(bt->b);
}

/* "ip daddr 127.0.0.0/8 VERDICT" and "ip6 daddr ::1 VERDICT" in an inet table: the family test
 * first, as nft adds it, so that an IPv6 header is never read as IPv4. */
static void rule_loopback(struct batch *bt, const char *chain, uint8_t family, int verdict)
{
	static const uint8_t v4_mask[4] = {255, 0, 0, 0}, v4_net[4] = {127, 0, 0, 0};
	static const struct in6_addr v6_lo = IN6ADDR_LOOPBACK_INIT;
	struct nftnl_rule *r = rule_new(chain);
	expr_meta(r, NFT_META_NFPROTO);
	expr_cmp(r, NFT_CMP_EQ, &family, 1);
	if (family == NFPROTO_IPV4) {
		expr_payload(r, IPV4_DADDR_OFFSET, 4);
		expr_mask(r, v4_mask, 4);
		expr_cmp(r, NFT_CMP_EQ, v4_net, 4);
	} else {
		expr_payload(r, IPV6_DADDR_OFFSET, 16);
		expr_cmp(r, NFT_CMP_EQ, &v6_lo, 16);
	}
	expr_verdict(r, verdict);
	rule_add(bt, r);
}

/* "meta l4proto tcp redirect to :port" */
static void rule_redirect_tcp(struct batch *bt, const char *chain, int port)
{
	struct nftnl_rule *r = rule_new(chain);
	uint8_t tcp = IPPROTO_TCP;
	expr_meta(r, NFT_META_L4PROTO);
	expr_cmp(r, NFT_CMP_EQ, &tcp, 1);
	uint16_t p = htons((uint16_t)port);
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &p, sizeof p);
	nftnl_rule_add_expr(r, e);
	e = nftnl_expr_alloc("redir");
	nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	rule_add(bt, r);
}

/* "ct status dnat accept": what the capture chain redirected may pass the drop chain. */
static void rule_redirected_accept(struct batch *bt, const char *chain)
{
	struct nftnl_rule *r = rule_new(chain);
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_rule_add_expr(r, e);
	uint32_t mask = IPS_DST_NAT, zero = 0;
	expr_mask(r, &mask, 4);
	expr_cmp(r, NFT_CMP_NEQ, &zero, 4);
	expr_verdict(r, NF_ACCEPT);
	rule_add(bt, r);
}

static int send_batch(struct batch *bt, char **err)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		*err = xasprintf("cannot open a netfilter netlink socket in the cell: %s",
				 strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return -1;
	}
	uint32_t portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(bt->b), mnl_nlmsg_batch_size(bt->b)) < 0) {
		*err = xasprintf("cannot send the cell's nftables rules: %s", strerror(errno));
		mnl_socket_close(nl);
		return -1;
	}
	/* One ack per message (NLM_F_ACK); the first error names what the kernel refused. */
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int rc = 0;
	for (uint32_t want = bt->seq - 2; want > 0;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
		if (n <= 0) {
			rc = -1;
			break;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nh, (int)n);
		     nh = mnl_nlmsg_next(nh, (int *)&n)) {
			if (nh->nlmsg_type != NLMSG_ERROR || nh->nlmsg_pid != portid)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nh);
			if (e->error && !rc) {
				errno = -e->error;
				rc = -1;
			}
			want--;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0)
		*err = xasprintf("the kernel refused the cell's nftables rules: %s (it needs nf_tables "
				 "with nat and redirect support)",
				 strerror(errno));
	mnl_socket_close(nl);
	return rc;
}

int nft_install_capture(int trans_port, char **err)
{
	struct batch bt;
	bt.buf = xmalloc(MNL_SOCKET_BUFFER_SIZE * 2);
	bt.b = mnl_nlmsg_batch_start(bt.buf, MNL_SOCKET_BUFFER_SIZE * 2);
	bt.seq = (uint32_t)time(NULL);
	uint32_t first = bt.seq;
	nftnl_batch_begin(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	mnl_nlmsg_batch_next(bt.b);
	add_table(&bt);
	add_chain(&bt, "capture", "nat", -100, NF_ACCEPT);
	rule_loopback(&bt, "capture", NFPROTO_IPV4, NFT_RETURN);
	rule_loopback(&bt, "capture", NFPROTO_IPV6, NFT_RETURN);
	rule_redirect_tcp(&bt, "capture", trans_port);
	add_chain(&bt, "only_loopback", "filter", 0, NF_DROP);
	rule_loopback(&bt, "only_loopback", NFPROTO_IPV4, NF_ACCEPT);
	rule_loopback(&bt, "only_loopback", NFPROTO_IPV6, NF_ACCEPT);
	rule_redirected_accept(&bt, "only_loopback");
	nftnl_batch_end(mnl_nlmsg_batch_current(bt.b), bt.seq++);
	mnl_nlmsg_batch_next(bt.b);
	bt.seq = bt.seq - first; /* messages in the batch, begin and end included */
	int rc = send_batch(&bt, err);
	mnl_nlmsg_batch_stop(bt.b);
	free(bt.buf);
	return rc;
}
