/* One function per subcommand; each lives in src/cmd/NAME.c. argv[0] is the subcommand name. */
#ifndef BRIG_CMD_H
#define BRIG_CMD_H

int cmd_run(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_review(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_discard(int argc, char **argv);

#endif
