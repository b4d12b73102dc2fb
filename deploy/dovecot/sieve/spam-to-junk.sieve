# Runs after any user script on every LMTP delivery (sieve_after): a message rspamd found to be spam goes into Junk.
# X-Spam is stamped by our own rspamd milter only (Postfix removes any that arrive; docs/adr/0035); a domain with
# antispam off is not scanned, so its mail never has it.
require ["fileinto", "mailbox"];
if header :is "X-Spam" "Yes" {
  fileinto :create "Junk";
  stop;
}
