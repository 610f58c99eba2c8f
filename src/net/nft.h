/* The cell's capture rules, installed over netlink (libnftnl) rather than by running nft(8):
 * executing nft costs a cell's start-up about 5 ms, most of it nft loading and caching state it
 * does not need for five rules. */
#ifndef BRIG_NET_NFT_H
#define BRIG_NET_NFT_H

/* In the cell's network namespace, with CAP_NET_ADMIN there. Installs table inet brig:
 *   chain capture (nat, output, -100): loopback destinations return; every other TCP
 *     connection is redirected to 127.0.0.1:trans_port (or [::1]:trans_port);
 *   chain only_loopback (filter, output, policy drop): loopback and redirected traffic only,
 *     so no UDP, ICMP or raw packet leaves for the default route.
 * Returns 0, or -1 with *err saying what the kernel refused. */
int nft_install_capture(int trans_port, char **err);

#endif
