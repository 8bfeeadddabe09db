#!/bin/sh
# mmdebstrap essential hook: runs after the essential packages, before PostgreSQL is installed.
# $1 is the root filesystem being built.
set -eu
root="$1"
# Debian would create a "main" cluster on install; the entrypoint makes the cluster instead.
mkdir -p "$root/etc/postgresql-common/createcluster.d"
echo 'create_main_cluster = false' > "$root/etc/postgresql-common/createcluster.d/provision.conf"
