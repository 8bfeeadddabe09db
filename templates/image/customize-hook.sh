#!/bin/sh
# mmdebstrap customize hook: runs when every package is installed. $1: the root filesystem, $2: major.
set -eu
root="$1"
major="$2"
printf 'ru_RU.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n' > "$root/etc/locale.gen"
chroot "$root" locale-gen
# postgresql-common made the postgres user with adduser (so /etc/shadow has its entry) under the first
# free system uid; the official image's postgres is uid/gid 999: renumber so volumes move between them.
old_uid="$(chroot "$root" id -u postgres)"
old_gid="$(chroot "$root" id -g postgres)"
# A newer suite may already give 999 to another system group or user (forky does): move it to a free
# number below 999 first, its files with it.
free_below_999() { # $1: passwd or group
	n=998
	while chroot "$root" getent "$1" "$n" >/dev/null; do n=$((n - 1)); done
	echo "$n"
}
other="$(chroot "$root" getent group 999 | cut -d: -f1)"
if [ -n "$other" ] && [ "$other" != postgres ]; then
	new="$(free_below_999 group)"
	chroot "$root" /usr/sbin/groupmod --gid "$new" "$other"
	chroot "$root" find / -xdev -gid 999 -exec chgrp -h "$new" '{}' +
fi
other="$(chroot "$root" getent passwd 999 | cut -d: -f1)"
if [ -n "$other" ] && [ "$other" != postgres ]; then
	new="$(free_below_999 passwd)"
	chroot "$root" /usr/sbin/usermod --uid "$new" "$other"
	chroot "$root" find / -xdev -uid 999 -exec chown -h "$new" '{}' +
fi
if [ "$old_uid" != 999 ] || [ "$old_gid" != 999 ]; then
	chroot "$root" /usr/sbin/groupmod --gid 999 postgres
	chroot "$root" /usr/sbin/usermod --uid 999 --gid 999 postgres
	chroot "$root" find / -xdev \( -uid "$old_uid" -o -gid "$old_gid" \) -exec chown -h postgres:postgres '{}' +
fi
mkdir -p "$root/docker-entrypoint-initdb.d" "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
chroot "$root" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
chmod 03777 "$root/var/run/postgresql"
chmod 00700 "$root/var/lib/postgresql/data"
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/log/"*.log "$root/tmp/"*
