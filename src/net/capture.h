/* Inside the cell's network namespace: loopback up, a default route that ends on loopback, and
 * nftables rules redirecting every TCP connection to the broker's transparent listener and
 * dropping everything else that is not loopback (other UDP, ICMP, raw packets). */
#ifndef BRIG_NET_CAPTURE_H
#define BRIG_NET_CAPTURE_H

int capture_loopback_up(char **err);
int capture_setup(int trans_port, char **err);

#endif
