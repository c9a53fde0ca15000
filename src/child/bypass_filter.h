/* SPDX-License-Identifier: Apache-2.0
 *
 * bypass_filter.h - the command's side of --bypass4netns: the seccomp
 * user-notification filter (see bypass_filter.c)
 */
#ifndef RK_CHILD_BYPASS_FILTER_H
#define RK_CHILD_BYPASS_FILTER_H

#include <stdbool.h>
#include <stdint.h>

/* What the command sends on the bypass channel: errnum 0 with the listener
 * and a NETLINK_ROUTE socket of the child's network namespace attached
 * (SCM_RIGHTS, in that order), or why the filter could not be loaded. */
struct rk_bypass_hello {
	int32_t errnum;
};

/* The test hook that makes the filter "refused" (as by a kernel without
 * the user-notification features): set to 1 in rootlesskit's environment */
#define RK_BYPASS_REFUSE_ENV "_ROOTLESSKIT_BYPASS4NETNS_REFUSE"

/* What the pre_exec hook needs: the channel to the parent, and whether
 * --disable-host-loopback asks for the 32-bit ABIs to be trapped too */
struct rk_bypass_filter_arg {
	int chan;
	bool strict;
};

/* rk_bypass_filter_pre_exec() - rk_spawn() pre_exec hook; @arg points to
 * a struct rk_bypass_filter_arg.  Loads the filter on the calling process and sends
 * the listener (or the error) to the parent; never fails the exec */
void rk_bypass_filter_pre_exec(void *arg);

#endif
