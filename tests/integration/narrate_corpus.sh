#!/usr/bin/env bash
# stratum narrate on the shared strategy corpus: explicit zeros, reproducible outputs, keyness,
# KWIC, error messages naming file and line, and no partial output on failure.
source "$(dirname "$0")/lib.sh"
CORPUS="$SHARED/data/text/strategies"
DICT="$ROOT/data/dict/smart-city-security.dict"
[ -f "$CORPUS/MANIFEST.tsv" ] || skip "../shared/data/text/strategies is absent"
[ -x "$STRATUM" ] || fail "$STRATUM not built"
cd "$TMP"

# Presence/absence: every category appears, zeros included, and runs are byte-identical.
"$STRATUM" narrate code --dict "$DICT" --where language=en --format summary -o s1.tsv "$CORPUS"
"$STRATUM" narrate code --dict "$DICT" --where language=en --format summary -o s2.tsv "$CORPUS"
cmp -s s1.tsv s2.tsv || fail "code summary differs between two runs"
ncat=$(grep -c '^\[' "$DICT")
[ "$(grep -vc '^#' s1.tsv)" -eq $((ncat + 1)) ] || fail "summary does not list every category"
grep -q '^# dictionary: .*sha256 [0-9a-f]\{64\}' s1.tsv || fail "no dictionary provenance"
grep -q '^# corpus: .*fingerprint [0-9a-f]\{16\}.*where language=en' s1.tsv || fail "no corpus provenance"
awk -F'\t' '$1=="tech.smart_city" && $3 < 5 {ok=1} END {exit !ok}' s1.tsv || fail "smart city in many documents?"
awk -F'\t' '$1=="threat.terrorism" && $3 > 30 {ok=1} END {exit !ok}' s1.tsv || fail "terrorism too rare"
"$STRATUM" narrate code --dict "$DICT" --where language=en --format long -o long.tsv "$CORPUS"
ndoc=$(awk -F'\t' 'NR>1 && $6=="en"' "$CORPUS/MANIFEST.tsv" | wc -l)
[ "$(grep -v '^#' long.tsv | tail -n +2 | wc -l)" -eq $((ndoc * ncat)) ] || fail "long table is not documents x categories"
grep -v '^#' long.tsv | awk -F'\t' 'NR>1 && $7==0 {z++} END {exit !(z>0)}' || fail "no explicit zeros"
ok "code: $ndoc documents x $ncat categories, zeros explicit, reproducible"

# Keyness between national security strategies and the rest, by category and by word.
"$STRATUM" narrate keyness --dict "$DICT" --where language=en --group doc_type=national-security-strategy -o k.tsv "$CORPUS"
grep -q '^threat.wmd	' k.tsv || fail "keyness lacks a category"
head -n 20 k.tsv | grep -v '^#' | sed -n 2p | awk -F'\t' '$6 > 100 {ok=1} END {exit !ok}' || fail "top keyness G2 small"
"$STRATUM" narrate keyness --where language=en --group doc_type=national-security-strategy --top 10 -o kw.tsv "$CORPUS"
[ "$(grep -vc '^#' kw.tsv)" -eq 21 ] || fail "word keyness should print 10 + 10 rows"
ok "keyness"

# KWIC: the one "smart cities" in GBR 2016 is found, across the damaged line break.
"$STRATUM" narrate kwic --term 'smart cit*' --where language=en -o kwic.tsv "$CORPUS"
grep -q '^GBR_2016_.*	smart cities	' kwic.tsv || fail "smart cities in GBR 2016 not found"
"$STRATUM" narrate colloc --dict "$DICT" --category threat.terrorism --where language=en -o col.tsv "$CORPUS"
grep -vq '^#' col.tsv || fail "no collocations"
ok "kwic and colloc"

# Errors name file and line; nothing is left behind.
printf '[a]\nfine\norphan\n[b]\n' > bad.dict
if "$STRATUM" narrate code --dict bad.dict -o out.tsv "$CORPUS" 2>err.txt; then fail "bad dict accepted"; fi
grep -q 'bad.dict:4: category \[b\] has no entries' err.txt || fail "dict error: $(cat err.txt)"
mkdir bad && printf 'file\tyear\nx.txt\t2000\n' > bad/MANIFEST.tsv && printf 'ok\nbad \xff\n' > bad/x.txt
if "$STRATUM" narrate code --dict "$DICT" -o out.tsv bad 2>err.txt; then fail "invalid UTF-8 accepted"; fi
grep -q 'bad/x.txt:2:5: invalid UTF-8' err.txt || fail "utf8 error: $(cat err.txt)"
if "$STRATUM" narrate code --dict "$DICT" --where 'year>3000' -o out.tsv "$CORPUS" 2>err.txt; then fail "empty corpus accepted"; fi
grep -q 'empty corpus' err.txt || fail "empty corpus error: $(cat err.txt)"
[ ! -e out.tsv ] && [ -z "$(ls out.tsv.tmp.* 2>/dev/null)" ] || fail "partial output left behind"
ok "errors"
