#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Upstream's preflight warning when run as root (rootlesskit itself may then
# fail for lack of sub-IDs for root; only the warning is checked).
. "$(dirname "$0")/lib.sh"
"$RK" true >/dev/null 2>"$TMP/err" || true
contains "$TMP/err" "[rootlesskit:parent] warning: Running RootlessKit as the root user is unsupported." "root warning"
done_testing
