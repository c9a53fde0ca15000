/* SPDX-License-Identifier: Apache-2.0
 *
 * tap.h - the TAP device of --net=gvisor-tap-vsock, made in the child's
 * network namespace and handed to the parent (see tap.c)
 */
#ifndef RK_CHILD_TAP_H
#define RK_CHILD_TAP_H

#include "../lib/err.h"

/*
 * rk_tap_hand_over() - create TAP device @dev in the current network
 * namespace and send its fd over the unix socket @chan (SCM_RIGHTS, one
 * "TAP" datagram); our copy is closed, so the device lives exactly as long
 * as the parent keeps the fd.
 * Return: 0, or -1 with @err set
 */
int rk_tap_hand_over(const char *dev, int chan, struct rk_err *err);

/*
 * rk_tap_receive() - the parent's side: take the fd sent by
 * rk_tap_hand_over() from @chan without blocking (the child sends it
 * before ChildInitCompleted, so it is already queued then).
 * Return: the TAP fd (close-on-exec, non-blocking), or -1 with @err set
 */
int rk_tap_receive(int chan, struct rk_err *err);

#endif
