#!/usr/bin/env bash
# Entrypoint of the PostgreSQL image that `provision image build` makes from Debian's packages.
# It keeps the contract of the official image, so compose files written for it work unchanged:
#   POSTGRES_PASSWORD / POSTGRES_USER / POSTGRES_DB / POSTGRES_INITDB_ARGS / POSTGRES_INITDB_WALDIR /
#   POSTGRES_HOST_AUTH_METHOD (each also as *_FILE), PGDATA, /docker-entrypoint-initdb.d scripts
#   (*.sh, *.sql, *.sql.gz, *.sql.xz, *.sql.zst), listen_addresses='*', start as root, run as postgres,
#   or start as any uid (`docker run --user`) that owns PGDATA; `postgres -c name=value` options apply to
#   the init scripts' server too. A sourced init script (*.sh, not executable) may call the helpers
#   docker_process_sql (SQL on stdin, or psql arguments, into POSTGRES_DB as the superuser) and
#   docker_process_init_files (run the given files the way /docker-entrypoint-initdb.d is run).
set -Eeuo pipefail

say() { printf 'entrypoint: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# VAR takes its value from VAR or from the file named by VAR_FILE (a Docker or compose secret).
from_env_or_file() {
	local name="$1" default="${2:-}" file_name="${1}_FILE" value
	if [[ -n "${!name:-}" && -n "${!file_name:-}" ]]; then
		die "both $name and $file_name are set; set only one of them"
	fi
	value="$default"
	if [[ -n "${!name:-}" ]]; then
		value="${!name}"
	elif [[ -n "${!file_name:-}" ]]; then
		[[ -r "${!file_name}" ]] || die "$file_name names ${!file_name}, which cannot be read"
		value="$(< "${!file_name}")"
	fi
	export "$name"="$value"
	unset "$file_name"
}

load_settings() {
	from_env_or_file POSTGRES_PASSWORD
	from_env_or_file POSTGRES_USER postgres
	from_env_or_file POSTGRES_DB "$POSTGRES_USER"
	from_env_or_file POSTGRES_INITDB_ARGS
	from_env_or_file POSTGRES_INITDB_WALDIR
	from_env_or_file POSTGRES_HOST_AUTH_METHOD
	: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
	export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
}

wants_help() {
	local arg
	for arg in "$@"; do
		case "$arg" in -'?'|--help|--describe-config|-V|--version) return 0 ;; esac
	done
	return 1
}

prepare_dirs_as_root() {
	mkdir -p "$PGDATA" /var/run/postgresql
	chmod 00700 "$PGDATA"
	chmod 03777 /var/run/postgresql
	find "$PGDATA" \! -user postgres -exec chown postgres: '{}' +
	chown postgres: /var/run/postgresql
	if [[ -n "${POSTGRES_INITDB_WALDIR:-}" ]]; then
		mkdir -p "$POSTGRES_INITDB_WALDIR"
		find "$POSTGRES_INITDB_WALDIR" \! -user postgres -exec chown postgres: '{}' +
		chmod 00700 "$POSTGRES_INITDB_WALDIR"
	fi
}

initialise_cluster() {
	if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != trust ]]; then
		die "the database is not initialised and no superuser password is set.
  Set POSTGRES_PASSWORD (or POSTGRES_PASSWORD_FILE) to a password,
  or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without one (never do that outside a lab)."
	fi
	local -a extra_args=()
	if [[ -n "$POSTGRES_INITDB_ARGS" ]]; then
		eval "extra_args=( $POSTGRES_INITDB_ARGS )"
	fi
	if [[ -n "${POSTGRES_INITDB_WALDIR:-}" ]]; then
		extra_args+=( --waldir "$POSTGRES_INITDB_WALDIR" )
	fi
	say "initialising a new cluster in $PGDATA"
	local pwfile
	pwfile="$(mktemp)"
	printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
	with_a_name initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
		--auth-host="$POSTGRES_HOST_AUTH_METHOD" "${extra_args[@]}"
	rm -f "$pwfile"
	printf '\n# added by the provision entrypoint\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" \
		>> "$PGDATA/pg_hba.conf"
	printf "\n# added by the provision entrypoint\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
}

# initdb asks the system for the name of the uid it runs as. An arbitrary `docker run --user` uid has
# none in /etc/passwd, so give it one for the length of the command through nss_wrapper.
with_a_name() {
	if getent passwd "$(id -u)" >/dev/null; then
		"$@"
		return
	fi
	local lib dir status=0
	lib="$(compgen -G '/usr/lib/*/libnss_wrapper.so' | head -n 1 || true)"
	[[ -n "$lib" ]] || die "uid $(id -u) has no name in /etc/passwd and nss_wrapper is missing"
	dir="$(mktemp -d)"
	printf 'postgres:x:%s:%s:PostgreSQL administrator:%s:/bin/false\n' "$(id -u)" "$(id -g)" "$PGDATA" \
		> "$dir/passwd"
	printf 'postgres:x:%s:\n' "$(id -g)" > "$dir/group"
	LD_PRELOAD="$lib${LD_PRELOAD:+ $LD_PRELOAD}" NSS_WRAPPER_PASSWD="$dir/passwd" \
		NSS_WRAPPER_GROUP="$dir/group" "$@" || status=$?
	rm -rf "$dir"
	return "$status"
}

# The init-time client: the superuser over the Unix socket; the password is in its environment only,
# so POSTGRES_INITDB_ARGS=--auth-local=scram-sha-256 (or md5) initialises too.
psql_init() {
	PGPASSWORD="${POSTGRES_PASSWORD:-}" psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" \
		--no-password "$@"
}

# For init scripts: SQL on stdin (or psql's own arguments, e.g. -f FILE or -c SQL) runs in POSTGRES_DB.
docker_process_sql() {
	psql_init --dbname "$POSTGRES_DB" "$@"
}

# For init scripts too: run the given files the way the files in /docker-entrypoint-initdb.d are run.
docker_process_init_files() {
	local script
	for script in "$@"; do
		case "$script" in
			*.sh)
				if [[ -x "$script" ]]; then
					say "running $script"; "$script"
				else
					say "sourcing $script"; . "$script"
				fi ;;
			*.sql) say "running $script"; docker_process_sql -f "$script" ;;
			*.sql.gz) say "running $script"; gzip -dc "$script" | docker_process_sql ;;
			*.sql.xz) say "running $script"; xz -dc "$script" | docker_process_sql ;;
			*.sql.zst) say "running $script"; zstd -dc "$script" | docker_process_sql ;;
			*) say "ignoring $script" ;;
		esac
	done
}

run_init_scripts() {
	local -a scripts=()
	shopt -s nullglob
	scripts=( /docker-entrypoint-initdb.d/* )
	shopt -u nullglob
	docker_process_init_files "${scripts[@]}"
}

# $@: the server's command line (postgres and its options). Its options, -c name=value among them,
# apply to the private server the init scripts meet as well as to the real one.
first_start() {
	initialise_cluster
	local options=""
	if (( $# > 1 )); then
		options="$(printf '%q ' "${@:2}")"
	fi
	# A private server on the Unix socket only, so nothing outside sees a half-made database.
	pg_ctl -D "$PGDATA" -w -o "$options -c listen_addresses='' -p 5432" start
	if [[ "$POSTGRES_DB" != postgres ]]; then
		psql_init --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	run_init_scripts
	pg_ctl -D "$PGDATA" -m fast -w stop
	say "initialisation complete; starting PostgreSQL"
}

main() {
	if [[ "${1:-}" == -* ]]; then
		set -- postgres "$@"
	fi
	if [[ "${1:-}" != postgres ]] || wants_help "$@"; then
		exec "$@"
	fi
	load_settings
	if [[ "$(id -u)" == 0 ]]; then
		prepare_dirs_as_root
		exec setpriv --reuid=postgres --regid=postgres --init-groups "$BASH_SOURCE" "$@"
	fi
	if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
		mkdir -p "$PGDATA"
		chmod 00700 "$PGDATA" 2>/dev/null || true
		first_start "$@"
	else
		say "cluster in $PGDATA already initialised; skipping initialisation"
	fi
	unset POSTGRES_PASSWORD
	exec "$@"
}

main "$@"
