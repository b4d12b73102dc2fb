# Runs before any user script on every LMTP delivery. A message whose Message-ID this mailbox already received
# (within sieve_duplicate_default_period) is dropped: the API re-sends under the same Message-ID when a submission's
# outcome is unknown (the server stopped answering after the content went out), so the retry never lands twice
# (docs/adr/0017).
require ["duplicate"];
if duplicate {
  discard;
  stop;
}
