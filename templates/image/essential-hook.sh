#!/bin/sh
# mmdebstrap essential hook: runs after the essential packages, before PostgreSQL is installed.
# $1 is the root filesystem being built.
set -eu
root="$1"
# The official image's postgres user is uid/gid 999; keep it so volumes move between the two images.
grep -q '^postgres:' "$root/etc/group" || echo 'postgres:x:999:' >> "$root/etc/group"
grep -q '^postgres:' "$root/etc/passwd" || \
	echo 'postgres:x:999:999:PostgreSQL administrator:/var/lib/postgresql:/bin/bash' >> "$root/etc/passwd"
# Debian would create a "main" cluster on install; the entrypoint makes the cluster instead.
mkdir -p "$root/etc/postgresql-common/createcluster.d"
echo 'create_main_cluster = false' > "$root/etc/postgresql-common/createcluster.d/provision.conf"
