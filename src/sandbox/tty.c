#include "sandbox/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/xalloc.h"

int tty_relay_open(struct tty_relay *t, char **err)
{
	memset(t, 0, sizeof *t);
	t->master = t->slave = -1;
	if (!isatty(STDIN_FILENO))
		return 0;
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0 || grantpt(t->master) < 0 || unlockpt(t->master) < 0) {
		*err = xasprintf("cannot allocate a terminal for the cell: %s", strerror(errno));
		return -1;
	}
	t->slave = ioctl(t->master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (t->slave < 0) {
		*err = xasprintf("cannot open the cell's terminal: %s", strerror(errno));
		return -1;
	}
	struct termios tio;
	if (tcgetattr(STDIN_FILENO, &tio) == 0) {
		t->saved = tio;
		tcsetattr(t->slave, TCSANOW, &tio);
	}
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(t->slave, TIOCSWINSZ, &ws);
	t->out_tty = isatty(STDOUT_FILENO);
	t->err_tty = isatty(STDERR_FILENO);
	t->active = true;
	return 0;
}

int tty_relay_child(struct tty_relay *t)
{
	if (setsid() < 0)
		return -1;
	if (!t->active)
		return 0;
	if (ioctl(t->slave, TIOCSCTTY, 0) < 0)
		return -1;
	if (dup2(t->slave, STDIN_FILENO) < 0 || (t->out_tty && dup2(t->slave, STDOUT_FILENO) < 0) ||
	    (t->err_tty && dup2(t->slave, STDERR_FILENO) < 0))
		return -1;
	return 0;
}

void tty_relay_start(struct tty_relay *t)
{
	if (!t->active)
		return;
	close(t->slave);
	t->slave = -1;
	struct termios raw = t->saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0)
		t->raw = true;
	fcntl(t->master, F_SETFL, fcntl(t->master, F_GETFL) | O_NONBLOCK);
}

void tty_relay_winch(struct tty_relay *t)
{
	struct winsize ws;
	if (t->active && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
}

size_t tty_relay_pollfds(struct tty_relay *t, void *pv)
{
	struct pollfd *p = pv;
	if (!t->active)
		return 0;
	p[0] = (struct pollfd){.fd = t->in_eof || t->in_len == sizeof t->in_buf ? -1 : STDIN_FILENO,
			       .events = POLLIN};
	short mev = 0;
	if (t->out_len < sizeof t->out_buf)
		mev |= POLLIN;
	if (t->in_len)
		mev |= POLLOUT;
	p[1] = (struct pollfd){.fd = t->master, .events = mev};
	p[2] = (struct pollfd){.fd = t->out_len ? STDOUT_FILENO : -1, .events = POLLOUT};
	return 3;
}

static void drain_out(struct tty_relay *t)
{
	while (t->out_len) {
		ssize_t w = write(STDOUT_FILENO, t->out_buf, t->out_len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			t->out_len = 0; /* the user's terminal is gone: nothing to keep it for */
			return;
		}
		memmove(t->out_buf, t->out_buf + w, t->out_len - (size_t)w);
		t->out_len -= (size_t)w;
	}
}

void tty_relay_service(struct tty_relay *t, void *pv)
{
	struct pollfd *p = pv;
	if (!t->active)
		return;
	if (p[0].fd >= 0 && (p[0].revents & (POLLIN | POLLHUP))) {
		ssize_t r = read(STDIN_FILENO, t->in_buf + t->in_len, sizeof t->in_buf - t->in_len);
		if (r > 0)
			t->in_len += (size_t)r;
		else if (r == 0 || (errno != EINTR && errno != EAGAIN))
			t->in_eof = true;
	}
	if (t->in_len && (p[1].revents & POLLOUT)) {
		ssize_t w = write(t->master, t->in_buf, t->in_len);
		if (w > 0) {
			memmove(t->in_buf, t->in_buf + w, t->in_len - (size_t)w);
			t->in_len -= (size_t)w;
		}
	}
	if (p[1].revents & POLLIN) {
		ssize_t r = read(t->master, t->out_buf + t->out_len, sizeof t->out_buf - t->out_len);
		if (r > 0)
			t->out_len += (size_t)r;
	}
	if (t->out_len && (p[2].revents & POLLOUT || p[1].revents & POLLIN))
		drain_out(t);
}

void tty_relay_close(struct tty_relay *t)
{
	if (!t->active)
		return;
	/* The cell has exited: whatever is still buffered in the pty is its last output. */
	for (;;) {
		if (t->out_len == sizeof t->out_buf)
			drain_out(t);
		ssize_t r = read(t->master, t->out_buf + t->out_len, sizeof t->out_buf - t->out_len);
		if (r <= 0)
			break;
		t->out_len += (size_t)r;
	}
	fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) & ~O_NONBLOCK);
	drain_out(t);
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &t->saved);
	close(t->master);
	t->active = false;
}
