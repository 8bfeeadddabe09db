#!/usr/bin/env bash
# Entrypoint of the PostgreSQL image that `provision image build` makes from Debian's packages.
# It keeps the contract of the official image, so compose files written for it work unchanged:
#   POSTGRES_PASSWORD / POSTGRES_USER / POSTGRES_DB / POSTGRES_INITDB_ARGS / POSTGRES_INITDB_WALDIR /
#   POSTGRES_HOST_AUTH_METHOD (each also as *_FILE), PGDATA, /docker-entrypoint-initdb.d scripts
#   (*.sh, *.sql, *.sql.gz, *.sql.xz, *.sql.zst), listen_addresses='*', start as root, run as postgres.
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
	chmod 03775 /var/run/postgresql
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
	initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
		--auth-host="$POSTGRES_HOST_AUTH_METHOD" "${extra_args[@]}"
	rm -f "$pwfile"
	printf '\n# added by the provision entrypoint\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" \
		>> "$PGDATA/pg_hba.conf"
	printf "\n# added by the provision entrypoint\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
}

psql_init() {
	psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --no-password "$@"
}

run_init_scripts() {
	local script
	shopt -s nullglob
	for script in /docker-entrypoint-initdb.d/*; do
		case "$script" in
			*.sh)
				if [[ -x "$script" ]]; then
					say "running $script"; "$script"
				else
					say "sourcing $script"; . "$script"
				fi ;;
			*.sql) say "running $script"; psql_init --dbname "$POSTGRES_DB" -f "$script" ;;
			*.sql.gz) say "running $script"; gzip -dc "$script" | psql_init --dbname "$POSTGRES_DB" ;;
			*.sql.xz) say "running $script"; xz -dc "$script" | psql_init --dbname "$POSTGRES_DB" ;;
			*.sql.zst) say "running $script"; zstd -dc "$script" | psql_init --dbname "$POSTGRES_DB" ;;
			*) say "ignoring $script" ;;
		esac
	done
	shopt -u nullglob
}

first_start() {
	initialise_cluster
	# A private server on the Unix socket only, so nothing outside sees a half-made database.
	pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -p 5432" start
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
		first_start
	else
		say "cluster in $PGDATA already initialised; skipping initialisation"
	fi
	unset POSTGRES_PASSWORD
	exec "$@"
}

main "$@"
