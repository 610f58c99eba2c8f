/* The cell's terminal. An interactive cell gets its own pseudo-terminal whose master the
 * supervisor relays to the user's terminal: the cell's session has a controlling tty (job
 * control, window size, curses all work) but it is not the user's, so TIOCSTI/TIOCLINUX can only
 * push keystrokes into the cell itself (CVE-2017-5226 and the class it stands for). */
#ifndef BRIG_SANDBOX_TTY_H
#define BRIG_SANDBOX_TTY_H

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

struct tty_relay {
	bool active;
	int master, slave;
	bool out_tty, err_tty; /* which of stdout/stderr were the user's terminal */
	struct termios saved;
	bool raw;
	char in_buf[16384], out_buf[65536];
	size_t in_len, out_len;
	bool in_eof;
};

/* Opens a pty when stdin is a terminal; otherwise leaves the relay inactive. */
int tty_relay_open(struct tty_relay *t, char **err);
/* In the command's process: new session, the pty as controlling terminal and as 0/1/2 where the
 * user had a terminal. Without a relay: a new session with no controlling terminal. */
int tty_relay_child(struct tty_relay *t);
/* Supervisor: raw mode on the user's terminal, restored by tty_relay_close. */
void tty_relay_start(struct tty_relay *t);
/* Copies the user's window size to the cell's terminal (on SIGWINCH). */
void tty_relay_winch(struct tty_relay *t);
/* poll(2) set-up and service for the relay's fds; returns how many pollfds it filled. */
size_t tty_relay_pollfds(struct tty_relay *t, void *pfds);
void tty_relay_service(struct tty_relay *t, void *pfds);
/* Copies what the cell still had to say, then restores the user's terminal. */
void tty_relay_close(struct tty_relay *t);

#endif
