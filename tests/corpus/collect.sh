#!/usr/bin/env bash
# Copies the corpus's test data files (never code) from local mirrors of their repositories, byte for byte.
# Usage: tests/corpus/collect.sh   (mirrors made with the fetch tool; see README.md for sources and licenses)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
copy() { # repo-dir commit license-path dest-dir paths...
  local repo=$1 commit=$2 license=$3 dest=$4; shift 4
  mkdir -p "$here/$dest"
  git -C "$repo" show "$commit:$license" > "$here/$dest/LICENSE"
  for p in "$@"; do
    local out="$here/$dest/${p//\//__}"
    git -C "$repo" show "$commit:$p" > "$out"
  done
}
list() { git -C "$1" ls-tree -r --name-only "$2" "$3" | grep -E "$4" || true; }

M=/work/.mirror/jstedfast+MimeKit/repo; MC=cf6d38dd0a1a26b5145c10b35e971efc133e1fb3
copy $M $MC LICENSE mimekit $( { list $M $MC UnitTests/TestData/messages '\.(txt|eml)$' | grep -v '/body\.'; \
  list $M $MC UnitTests/TestData/mbox '\.mbox\.txt$' | grep -v jwz; list $M $MC UnitTests/TestData/partial '\.eml$'; \
  list $M $MC UnitTests/TestData/dkim '\.msg$'; list $M $MC UnitTests/TestData/tnef '\.eml$'; \
  echo UnitTests/TestData/smime/thunderbird-signed.txt; echo UnitTests/TestData/yenc/simple.msg; } )

J=/work/.mirror/apache+james-mime4j/repo; JC=2602a9a9703db9df4088b7e88bf8a307ecdfe968
copy $J $JC LICENSE mime4j $(list $J $JC core/src/test/resources '\.msg$')

R=/work/.mirror/mikel+mail/repo; RC=d645d7b5b7d03218b0bc8971ef041c991a63f5f7
copy $R $RC MIT-LICENSE mikel-mail $(list $R $RC spec/fixtures/emails '.' | grep -v gitattributes)

E=/work/.mirror/jhillyerd+enmime/repo; EC=0d919cc223e9cb6c2d45d6c653e7a64156006351
copy $E $EC LICENSE enmime $(list $E $EC testdata/mail '\.raw$'; list $E $EC testdata/low-quality '\.raw$')

Z=/work/.mirror/zbateson+mail-mime-parser/repo; ZC=3db681988a48fdffdba551dcc6b2f4c2da574540
copy $Z $ZC LICENSE zbateson $(list $Z $ZC tests/_data/emails '\.txt$' | grep -v /files/ | grep -v m3005)
git -C $Z show $ZC:tests/_data/emails/README.md > "$here/zbateson/README.hunnysoft.md"

# Issue 19: the bodies a reader must see (a 1.1 MB plain-text digest, a 1.1 MB html page, a uuencoded zip).
N=/work/.mirror/nodemailer+mailparser/repo; NC=bb1881eb35c0d406c68c8613443827ccbad00065
copy $N $NC LICENSE nodemailer-mailparser test/fixtures/large_text.eml test/fixtures/outofmemory.eml

S=/work/.mirror/SpamScope+mail-parser/repo; SC=01c177fecddd9db1def23ba509ab31b12ab4fbc5
copy $S $SC LICENSE.txt spamscope-mail-parser tests/mails/mail_test_15
git -C $S show $SC:NOTICE.txt > "$here/spamscope-mail-parser/NOTICE"
