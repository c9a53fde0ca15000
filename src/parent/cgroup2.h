/* SPDX-License-Identifier: Apache-2.0
 *
 * cgroup2.h - --evacuate-cgroup2: move our cgroup v2 group's processes
 * into a sub-group so that controllers can be enabled for the group
 *
 * Theory of operation: see cgroup2.c.
 */
#ifndef RK_CGROUP2_H
#define RK_CGROUP2_H

#include <stddef.h>

#include "../lib/err.h"

/**
 * rk_cgroup2_check_name() - validate the --evacuate-cgroup2 value
 * @name:	the group name
 * @err:	error out
 *
 * Return: 0, or -1 with @err set ("got empty evacuation group name",
 * "unexpected evacuation group name "<n>": must not contain "/"")
 */
int rk_cgroup2_check_name(const char *name, struct rk_err *err);

/**
 * rk_cgroup2_find_mount() - find the cgroup2 mount in mountinfo text
 * @mountinfo:	contents of /proc/<pid>/mountinfo
 * @out:	the first cgroup2 mount point, "" if there is none
 * @cap:	size of @out (0: nothing is looked for)
 *
 * A line is "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] -
 * FSTYPE SOURCE SUPER-OPTIONS"; fields are separated by single spaces
 * (spaces inside a field are escaped as \040).
 *
 * Return: the number of cgroup2 mounts
 */
int rk_cgroup2_find_mount(const char *mountinfo, char *out, size_t cap);

/**
 * rk_cgroup2_group() - the cgroup v2 path in /proc/<pid>/cgroup text
 * @proc_cgroup: contents of /proc/<pid>/cgroup
 * @out:	the rest of the first line that starts with "0::"
 * @cap:	size of @out
 *
 * Return: 0, or -1 when there is no such line (@out is "")
 */
int rk_cgroup2_group(const char *proc_cgroup, char *out, size_t cap);

/**
 * rk_cgroup2_evacuate() - empty our cgroup v2 group into a sub-group
 * @name:	sub-group name (no "/")
 * @err:	error out
 *
 * Must run in the parent's (the host's) PID and cgroup namespaces; see the
 * theory of operation at the top of this file.
 *
 * Return: 0 (also when cgroup2 is not mounted or our group is unknown:
 * a warning is printed), or -1 with @err set when the sub-group cannot be
 * created or the group's files cannot be read
 */
int rk_cgroup2_evacuate(const char *name, struct rk_err *err);

#endif
