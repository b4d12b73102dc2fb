# imapsieve: a message copied or moved into Junk (Thunderbird, a phone, the API's mark_spam) teaches rspamd's Bayes
# filter that it is spam (docs/adr/0035).
require ["vnd.dovecot.pipe", "copy", "imapsieve"];
pipe :copy "learn-spam.sh";
