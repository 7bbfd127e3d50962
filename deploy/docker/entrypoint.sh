#!/bin/sh
# Each worker must advertise an address the other workers can reach (requests are forwarded to the leader) and
# that status `worker_id` shows. Unless told otherwise, that is this container's host name, which Docker's DNS
# resolves for its peers; Kubernetes sets FERRY_ADVERTISED_HOST to the pod IP instead.
set -eu
if [ -z "${FERRY_ADVERTISED_HOST:-}" ]; then
  FERRY_ADVERTISED_HOST="$(cat /proc/sys/kernel/hostname)"
  export FERRY_ADVERTISED_HOST
fi
# exec: node replaces this shell, so tini's SIGTERM reaches the worker directly.
exec node /opt/ferry/bin/ferry.js "$@"
