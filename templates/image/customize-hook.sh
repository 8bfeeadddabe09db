#!/bin/sh
# mmdebstrap customize hook: runs when every package is installed. $1: the root filesystem, $2: major.
set -eu
root="$1"
major="$2"
printf 'ru_RU.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\n' > "$root/etc/locale.gen"
chroot "$root" locale-gen
mkdir -p "$root/docker-entrypoint-initdb.d" "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
chroot "$root" chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
chmod 03775 "$root/var/run/postgresql"
chmod 00700 "$root/var/lib/postgresql/data"
# The LLVM JIT (and the solver it links) is a third of the image and rarely pays off for billing
# queries; without llvmjit.so PostgreSQL runs with JIT unavailable.
rm -f "$root/usr/lib/postgresql/$major/lib/llvmjit.so" "$root/usr/lib/postgresql/$major/lib/llvmjit_types.bc"
rm -rf "$root/usr/lib/postgresql/$major/lib/bitcode"
rm -f "$root"/usr/lib/x86_64-linux-gnu/libLLVM-*.so* "$root"/usr/lib/x86_64-linux-gnu/libz3.so*
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/log/"*.log "$root/tmp/"*
