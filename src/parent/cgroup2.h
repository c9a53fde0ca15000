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

/* rk_cgroup2_check_name() - the evacuation group name must be non-empty
 * and contain no "/"; returns 0 or -1 with upstream's message */
int rk_cgroup2_check_name(const char *name, struct rk_err *err);

/* rk_cgroup2_find_mount() - the mount point of the first cgroup2 mount in
 * the text of a mountinfo file (octal escapes such as \040 decoded) into
 * @out; returns the number of cgroup2 mounts found (0: none, @out is "") */
int rk_cgroup2_find_mount(const char *mountinfo, char *out, size_t cap);

/* rk_cgroup2_group() - the cgroup v2 path ("0::<path>") in the text of a
 * /proc/<pid>/cgroup file into @out; returns 0, or -1 when there is no
 * "0::" line (@out is "") */
int rk_cgroup2_group(const char *proc_cgroup, char *out, size_t cap);

/* rk_cgroup2_evacuate() - move every process of our cgroup v2 group into
 * its sub-group @name and enable the group's controllers for its
 * sub-groups; returns 0 (also when cgroup2 is not mounted: warning) or -1
 * with @err set */
int rk_cgroup2_evacuate(const char *name, struct rk_err *err);

#endif
