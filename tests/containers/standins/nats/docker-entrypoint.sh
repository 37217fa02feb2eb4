#!/bin/sh
# As the official image's: a command that starts with a flag is given to nats-server.
set -e
if [ "${1#-}" != "$1" ]; then
    set -- nats-server "$@"
fi
exec "$@"
