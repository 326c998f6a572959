# Music against a real mpd (null audio output, software mixer): a programme
# asked for while mpd is down is retried with back-off and lands when mpd comes
# up; playlist, volume, crossfade and state are checked with mpc; the hard
# volume cap holds; an unreachable mpd is a clear error, not a crash.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || fail "$STRATUM is not built"
command -v mpd >/dev/null || skip "mpd is not installed"
command -v mpc >/dev/null || skip "mpc is not installed"
PORT=$(free_port)
mkdir -p "$TMP/music" "$TMP/playlists"
python3 - "$TMP/music" <<'PY'
import math, struct, sys, wave
for i, f in enumerate((330, 440, 550), 1):
    with wave.open(f"{sys.argv[1]}/tone{i}.wav", "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * f * n / 8000)))
                               for n in range(8000 * 20)))
PY
printf 'tone1.wav\ntone2.wav\n' >"$TMP/playlists/calm.m3u"
printf 'tone3.wav\n' >"$TMP/playlists/ambient.m3u"
cat >"$TMP/mpd.conf" <<CONF
music_directory    "$TMP/music"
playlist_directory "$TMP/playlists"
db_file            "$TMP/mpd.db"
log_file           "$TMP/mpd.log"
bind_to_address    "127.0.0.1"
port               "$PORT"
audio_output {
    type        "null"
    name        "null"
    mixer_type  "software"
}
CONF
MPC=(mpc -q -h 127.0.0.1 -p "$PORT")
start_mpd() {
    mpd --no-daemon "$TMP/mpd.conf" >>"$TMP/mpd.out" 2>&1 &
    MPD_PID=$!
    PIDS+=($MPD_PID)
    wait_for 15 "${MPC[@]}" status || { cat "$TMP/mpd.out" "$TMP/mpd.log"; fail "mpd did not start"; }
}
# Build the database once, then take mpd down.
start_mpd
"${MPC[@]}" update --wait
kill $MPD_PID; wait $MPD_PID 2>/dev/null || true

# --- reconnect: ask while mpd is down --------------------------------------
"$STRATUM" music play calm --port "$PORT" --wait 30 >"$TMP/play.out" 2>"$TMP/play.log" &
play=$!
sleep 1.5
kill -0 $play 2>/dev/null || { cat "$TMP/play.log"; fail "music play gave up while mpd was down"; }
grep -q "Connection refused; reconnecting" "$TMP/play.log" || fail "no logged connection error"
start_mpd
wait $play || { cat "$TMP/play.log"; fail "music play failed after mpd came up"; }
grep -q "connected to mpd" "$TMP/play.log" || fail "no reconnect logged"
ok "mpd down: logged error, back-off, programme applied once mpd came up"

mpc -h 127.0.0.1 -p "$PORT" status | has '^\[playing\]' || fail "mpd is not playing"
[ "$(mpc -h 127.0.0.1 -p "$PORT" playlist | wc -l)" = 2 ] || fail "calm playlist not loaded"
mpc -h 127.0.0.1 -p "$PORT" status | has 'volume: 35%' || fail "volume is not 35"
mpc -h 127.0.0.1 -p "$PORT" crossfade | has 'crossfade: 5' || fail "crossfade is not 5 s"
out=$("$STRATUM" music status --port "$PORT")
echo "$out" | has "state: play" || fail "music status: $out"
echo "$out" | has "volume: 35 (cap 60)" || fail "music status volume: $out"
echo "$out" | has "song: tone1.wav" || fail "music status song: $out"
ok "calm: playlist of 2, volume 35, crossfade 5 s, playing"

# --- cap and record of what was playing ---------------------------------------
"${MPC[@]}" volume 90
"$STRATUM" music play ambient --port "$PORT" --volume-cap 20 >"$TMP/amb.out" 2>"$TMP/amb.log" ||
    { cat "$TMP/amb.log"; fail "music play ambient failed"; }
grep -q "volume 25 capped to 20" "$TMP/amb.log" || fail "cap not logged"
grep -q "was: play tone1.wav @90" "$TMP/amb.out" || fail "what was playing not recorded: $(cat "$TMP/amb.out")"
mpc -h 127.0.0.1 -p "$PORT" status | has 'volume: 20%' || fail "volume cap not applied"
[ "$(mpc -h 127.0.0.1 -p "$PORT" playlist)" = "tone3.wav" ] || fail "ambient playlist not loaded"
ok "ambient: volume capped at 20, previous song and volume recorded"

"$STRATUM" music play off --port "$PORT" >/dev/null 2>&1 || fail "music play off failed"
mpc -h 127.0.0.1 -p "$PORT" status | has '^\[playing\]' && fail "still playing after off"
"$STRATUM" music play disco --port "$PORT" >/dev/null 2>&1 && fail "unknown programme accepted"

# --- unreachable ----------------------------------------------------------------
DEAD=$(free_port)
if "$STRATUM" music status --port "$DEAD" >"$TMP/dead.out" 2>&1; then fail "status succeeded without mpd"; fi
grep -q "cannot reach mpd at 127.0.0.1:$DEAD" "$TMP/dead.out" || fail "unclear error: $(cat "$TMP/dead.out")"
ok "unreachable mpd: one clear error line, exit 1"
