#!/bin/sh
# Piped a message by imapsieve (learn-spam.sieve); rspamd's controller learns it as spam. Rendered by deploy/stack.sh.
exec /usr/bin/rspamc -h ${LISTEN_ADDRESS}:${RSPAMD_CONTROLLER_PORT} -t 10 learn_spam
