/* Which defaults a profile starts from. */
#ifndef BRIG_PROFILE_POSTURE_H
#define BRIG_PROFILE_POSTURE_H

enum posture {
	POSTURE_AGENT, /* brig profiles and the `agent` preset: everything strict */
	POSTURE_SHELL, /* the `shell` preset: a person's own shell with project boundaries */
	POSTURE_PWRAP, /* a file under ~/.config/pwrap: pwrap's defaults, exactly */
};

#endif
