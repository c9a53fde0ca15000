#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# setup-user.sh - (root only) prepare the unprivileged user the demo and the
# integration tests run as: user "rktest" with /etc/subuid and /etc/subgid
# ranges, a second user "rknosub" without any (also the "other user" of
# root_statedir_users.sh), and /dev/net/tun mode 0666
# as distributions ship it.
set -eu
user=rktest
id "$user" >/dev/null 2>&1 || useradd -m -s /bin/sh "$user"
grep -q "^$user:" /etc/subuid || echo "$user:300000:65536" >>/etc/subuid
grep -q "^$user:" /etc/subgid || echo "$user:300000:65536" >>/etc/subgid
id rknosub >/dev/null 2>&1 || useradd -M -s /bin/sh rknosub
sed -i "/^rknosub:/d" /etc/subuid /etc/subgid
if [ ! -e /dev/net/tun ]; then
	mkdir -p /dev/net
	mknod /dev/net/tun c 10 200
fi
chmod 0666 /dev/net/tun
