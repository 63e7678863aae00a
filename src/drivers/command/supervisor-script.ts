/**
 * `sv_civil <epoch ms>`: sets sv_t to that time as ISO 8601 in UTC, with shell arithmetic and
 * builtins only (every $(…) would be a fork). The date is H. Hinnant's days-to-civil algorithm
 * (howardhinnant.github.io/date_algorithms.html#civil_from_days), for days since 1970 ≥ 0.
 */
export const CIVIL_TIME = `sv_civil() {
  sv_s=$(($1 / 1000)) sv_f=$(($1 % 1000))
  sv_z=$((sv_s / 86400 + 719468)) sv_r=$((sv_s % 86400))
  sv_era=$((sv_z / 146097))
  sv_doe=$((sv_z - sv_era * 146097))
  sv_yoe=$(((sv_doe - sv_doe / 1460 + sv_doe / 36524 - sv_doe / 146096) / 365))
  sv_doy=$((sv_doe - (365 * sv_yoe + sv_yoe / 4 - sv_yoe / 100)))
  sv_mp=$(((5 * sv_doy + 2) / 153))
  sv_d=$((sv_doy - (153 * sv_mp + 2) / 5 + 1))
  sv_m=$((sv_mp < 10 ? sv_mp + 3 : sv_mp - 9))
  sv_y=$((sv_yoe + sv_era * 400 + (sv_m <= 2)))
  sv_pad 2 "$sv_m"
  sv_t=$sv_y-$sv_n
  sv_pad 2 "$sv_d"
  sv_t=$sv_t-$sv_n
  sv_pad 2 $((sv_r / 3600))
  sv_t=\${sv_t}T$sv_n
  sv_pad 2 $((sv_r / 60 % 60))
  sv_t=$sv_t:$sv_n
  sv_pad 2 $((sv_r % 60))
  sv_t=$sv_t:$sv_n
  sv_pad 3 "$sv_f"
  sv_t=$sv_t.\${sv_n}Z
}
sv_pad() { # <width> <number>: the number in sv_n, zeros in front up to the width
  sv_n=$2
  while [ \${#sv_n} -lt "$1" ]; do sv_n=0$sv_n; done
}`;

/**
 * The supervisor of one command run: a POSIX shell script, run as `sh -c <script> slipway-supervisor
 * <run dir> <timeout ms> <kill grace ms> <output limit bytes> <clock> <cwd> <argv…>` in a session of its
 * own (launch.ts). It stays alive as long as its command, one per running deployment, so it is
 * a shell and two small utilities (dd reading the output, sleep waking it at the next deadline):
 * about 4.7 MiB of RSS in all, 0.4 MiB PSS, where the Node supervisor before it took 53 MiB,
 * measured by `npm run bench -- --sections k`.
 *
 * It writes the files Slipway reads (run-dir.ts): supervisor.json (its exclusive claim, before
 * anything runs), child.json, output.log (and output.log.1: the older half, kept under the
 * output limit while the command runs), result.json (last, in one step). It needs `setsid`
 * (util-linux or busybox), `mkfifo`, `dd`, `sleep`, `wc`, `tail`, `date` and Linux's /proc.
 *
 * Shell details that matter here:
 * - A trapped signal (CHLD, TERM) interrupts `wait` (POSIX, "wait"): every child that ends and
 *   every stop request wakes the loop, which then looks at everything.
 * - The command gets its environment from command.env only, sourced in the child just before
 *   it starts: the shell's own variables are not exported, and the shell itself runs with PATH
 *   and LC_ALL=C alone.
 * - An exit status above 128 is read as a signal, as every shell reports it.
 */

export const SUPERVISOR_SCRIPT = `# Slipway's command supervisor: runs one command for a run directory and records how it ended.
# Arguments: <run dir> <timeout ms> <kill grace ms> <output limit bytes> <clock> <cwd> <argv...>
# <clock> is the wall time at boot in epoch ms, as the launching process saw it, or empty.
# The command's environment is in command.env (sourced in the child only).
sv_dir=$1 sv_timeout=$2 sv_grace=$3 sv_limit=$4 sv_clock=$5 sv_cwd=$6
shift 6
cd "$sv_dir" || exit 66
# Run files are Slipway's alone; the command gets Slipway's own umask back.
sv_umask=$(umask)
umask 077
sv_term=0 sv_terms=0 sv_cmd='' sv_status='' sv_stop=''
# A stop request (SIGTERM to the supervisor) and any child ending interrupt the wait below. The
# stop is also acted on at once: had it come between the loop's checks and its wait, it would
# otherwise wait for the next wake-up.
trap 'sv_term=1 sv_terms=$((sv_terms + 1)); sv_cancel' TERM INT HUP
trap ':' CHLD

sv_now() {
  read -r sv_up sv_rest </proc/uptime
  sv_cs=\${sv_up#*.}
  sv_cs=\${sv_cs#0}
  sv_ms=$((\${sv_up%.*} * 1000 + sv_cs * 10))
}
# The time now as ISO 8601 in sv_t: the launching process's clock carried forward by
# /proc/uptime, which takes no process, or date(1) when no clock came.
${CIVIL_TIME}
sv_iso() {
  if [ -n "$sv_clock" ]; then
    sv_now
    sv_civil $((sv_clock + sv_ms))
    return
  fi
  sv_t=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  case $sv_t in *N* | *%*) sv_t=$(date -u +%Y-%m-%dT%H:%M:%SZ) ;; esac
}
sv_boot=null
if read -r sv_b 2>/dev/null </proc/sys/kernel/random/boot_id; then sv_boot="\\"$sv_b\\""; fi
sv_ident() {
  sv_ticks=null
  if read -r sv_l 2>/dev/null <"/proc/$1/stat"; then
    # The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    set -- \${sv_l##*) }
    sv_ticks="\\"\${20}\\""
  fi
}
sv_gone() { # <pid>: ended (a zombie counts as ended: only its exit status is left)
  [ -d "/proc/$1" ] || return 0
  # A read that fails for another reason (a signal arriving meanwhile) proves nothing: not gone.
  read -r sv_l 2>/dev/null <"/proc/$1/stat" || { [ -d "/proc/$1" ] && return 1; return 0; }
  case \${sv_l##*) } in Z* | X*) return 0 ;; esac
  return 1
}
sv_put() { # <file> <text>: replaces the file in one step
  printf '%s\\n' "$2" >"$1.$$.tmp" && mv -f "$1.$$.tmp" "$1"
}
sv_json() {
  sv_j=$(printf '%s' "$1" | tr '\\n\\r\\t' '   ' | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g')
  sv_j="\\"$sv_j\\""
}

sv_signal() { # <signal>: to the command's session, and to its first process should it not lead one yet
  kill -s "$1" -- "-$sv_cmd" 2>/dev/null
  kill -s "$1" "$sv_cmd" 2>/dev/null
}
sv_cancel() {
  if [ -n "$sv_cmd" ] && [ -z "$sv_status" ] && [ -z "$sv_stop" ]; then
    sv_stop=cancel
    sv_signal TERM
    sv_now
    sv_kill_at=$((sv_ms + sv_grace))
  fi
}
sv_reap() { # <pid> of a child that ended (or is ending): its exit status in sv_st
  # A trapped signal makes wait return 128 + its number at once (POSIX), which would read as
  # the child's status: CHLD is untrapped meanwhile, and a wait a stop request cut short is
  # waited again (one that had already returned leaves no job: then its status stands).
  trap - CHLD
  sv_before=$sv_terms
  wait "$1"
  sv_st=$?
  if [ "$sv_terms" != "$sv_before" ]; then
    case $sv_st in 129 | 130 | 143)
      wait "$1"
      sv_again=$?
      [ "$sv_again" = 127 ] || sv_st=$sv_again
      ;;
    esac
  fi
  trap ':' CHLD
}
sv_read_done() { # accounts for what the reader copied; rotates output.log at half the limit
  sv_reap "$sv_dd"
  # 127: the loop's own wait already collected it (and freed the job); its status is that wait's.
  if [ "$sv_st" = 127 ]; then sv_st=$sv_waited; fi
  sv_ddst=$sv_st
  sv_dd=''
  sv_new=$(wc -c <output.log)
  sv_got=$((sv_new - sv_size))
  sv_total=$((sv_total + sv_got))
  sv_size=$sv_new
  if [ "$sv_got" = 0 ] && [ "$sv_ddst" = 0 ]; then sv_eof=1; fi
  if [ "$sv_size" -ge "$sv_seg" ]; then
    mv -f output.log output.log.1
    sv_size=0
  fi
}

sv_write_output() { # merges the two halves into output.log, with a note when bytes were dropped
  [ -e output.log.1 ] || return 0
  cat output.log.1 output.log >output.log.tmp
  sv_kept=$(wc -c <output.log.tmp)
  if [ "$sv_total" -gt "$sv_kept" ]; then
    sv_note="[slipway] output truncated: the first $sv_total bytes were dropped, the last $sv_limit are kept (outputLimit $sv_limit bytes)"
    tail -c "$((sv_limit - \${#sv_note} - 1))" output.log.tmp >output.log.tail
    sv_size=$(wc -c <output.log.tail)
    # Starts at a line boundary when one lies in the first half.
    sv_first=$(head -n 1 output.log.tail | wc -c)
    sv_skip=0
    if [ "$sv_first" -lt "$sv_size" ] && [ "$(((sv_first - 1) * 2))" -lt "$sv_size" ]; then sv_skip=$sv_first; fi
    sv_kept=$((sv_size - sv_skip))
    {
      printf '[slipway] output truncated: the first %s bytes were dropped, the last %s are kept (outputLimit %s bytes)\\n' \\
        "$((sv_total - sv_kept))" "$sv_kept" "$sv_limit"
      tail -c "+$((sv_skip + 1))" output.log.tail
    } >output.log.tmp
    rm -f output.log.tail
    sv_truncated=true
  fi
  mv -f output.log.tmp output.log
  rm -f output.log.1
}

# The claim comes before the command: created exclusively (link(2) fails on EEXIST), so of all
# supervisors ever launched for this run, and whoever gives it up, exactly one wins.
sv_ident $$
sv_iso
printf '{"kind":"supervisor","process":{"pid":%s,"bootId":%s,"startTicks":%s},"at":"%s"}\\n' \\
  $$ "$sv_boot" "$sv_ticks" "$sv_t" >"supervisor.json.$$.tmp"
if ! ln "supervisor.json.$$.tmp" supervisor.json 2>/dev/null; then
  rm -f "supervisor.json.$$.tmp"
  echo "slipway supervisor: $sv_dir is already claimed; not running it again" >&2
  exit 0
fi
# One rm for the claim's temporary file and whatever an earlier supervisor of this run left.
rm -f "supervisor.json.$$.tmp" output.pipe spawn-error

sv_truncated=false sv_started=false sv_error='' sv_start_iso=null sv_kill_at='' sv_total=0 sv_size=0
sv_setsid=$(command -v setsid) sv_missing=''
for sv_tool in setsid mkfifo dd sleep wc head tail date mv rm ln cat tr sed; do
  command -v "$sv_tool" >/dev/null || sv_missing="$sv_missing $sv_tool"
done
if [ "$sv_term" = 1 ]; then
  sv_stop=cancel
elif [ -n "$sv_missing" ]; then
  sv_error="the command supervisor needs\${sv_missing} on Slipway's PATH (util-linux and coreutils, or busybox)"
elif ! mkfifo -m 600 output.pipe; then
  sv_error="the command supervisor could not make its pipe (mkfifo) in $sv_dir"
else
  # Held read-write while the command opens it, so neither side blocks on open(2).
  exec 3<>output.pipe
  sv_now
  sv_start=$sv_ms
  sv_iso
  sv_start_iso="\\"$sv_t\\""
  (
    trap - TERM INT HUP CHLD
    exec 3>&- >output.pipe 2>&1 </dev/null
    unset LC_ALL
    . ./command.env
    umask "$sv_umask"
    if [ ! -d "$sv_cwd" ]; then
      sv_put "$sv_dir/spawn-error" "the working directory $sv_cwd does not exist"
      exit 127
    fi
    cd "$sv_cwd" 2>/dev/null || { sv_put "$sv_dir/spawn-error" "spawn $1 EACCES"; exit 126; }
    # Found as execvp(3) finds it, so that a program that cannot start is said so, not run.
    sv_path='' sv_seen=''
    case $1 in
      */*) sv_seen=$1 ;;
      *)
        set -f
        sv_ifs=$IFS
        IFS=:
        for sv_d in \${PATH-/usr/bin:/bin}; do
          [ -e "\${sv_d:-.}/$1" ] && sv_seen=\${sv_seen:-\${sv_d:-.}/$1}
          if [ -f "\${sv_d:-.}/$1" ] && [ -x "\${sv_d:-.}/$1" ]; then sv_seen=\${sv_d:-.}/$1 && break; fi
        done
        IFS=$sv_ifs
        set +f
        ;;
    esac
    if [ -z "$sv_seen" ] || [ ! -e "$sv_seen" ]; then
      sv_put "$sv_dir/spawn-error" "spawn $1 ENOENT"
      exit 127
    fi
    if [ -d "$sv_seen" ] || [ ! -x "$sv_seen" ]; then
      sv_put "$sv_dir/spawn-error" "spawn $1 EACCES"
      exit 126
    fi
    # A session of its own: a stop reaches everything the command started, and nothing else.
    exec "$sv_setsid" "$@"
  ) &
  sv_cmd=$!
  exec 4<output.pipe 3>&-
  sv_ident "$sv_cmd"
  sv_put child.json "{\\"process\\":{\\"pid\\":$sv_cmd,\\"bootId\\":$sv_boot,\\"startTicks\\":$sv_ticks},\\"startedAt\\":$sv_start_iso}"
  sv_started=true
fi

if [ "$sv_started" = true ]; then
  sv_seg=$((sv_limit / 2))
  [ "$sv_seg" -ge 1 ] || sv_seg=1
  : >output.log
  sv_deadline=$((sv_start + sv_timeout))
  sv_drain_until='' sv_dd='' sv_tick='' sv_eof=0
  while :; do
    # The reader: dd copies what one read(2) returns, so the file grows as the output comes.
    if [ -z "$sv_dd" ] && [ "$sv_eof" = 0 ]; then
      dd bs=$((sv_seg - sv_size)) count=1 <&4 >>output.log 2>/dev/null &
      sv_dd=$! sv_waited=127
    fi
    sv_now
    if [ -z "$sv_status" ] && [ -z "$sv_stop" ]; then
      if [ "$sv_term" = 1 ]; then sv_stop=cancel; elif [ "$sv_ms" -ge "$sv_deadline" ]; then sv_stop=timeout; fi
      if [ -n "$sv_stop" ]; then
        sv_signal TERM
        sv_kill_at=$((sv_ms + sv_grace))
      fi
    fi
    if [ -z "$sv_status" ] && [ -n "$sv_kill_at" ] && [ "$sv_ms" -ge "$sv_kill_at" ]; then
      sv_signal KILL
      sv_kill_at=''
    fi
    if [ -z "$sv_status" ] && sv_gone "$sv_cmd"; then
      sv_reap "$sv_cmd"
      sv_status=$sv_st
      sv_now
      sv_end=$sv_ms
      # A stopped run leaves nothing behind: whatever the command started in its session goes too.
      if [ -n "$sv_stop" ]; then kill -s KILL -- "-$sv_cmd" 2>/dev/null; fi
      # Its background processes may hold the pipe open: read what comes for two seconds at most.
      sv_drain_until=$((sv_ms + 2000))
    fi
    if [ -n "$sv_dd" ] && sv_gone "$sv_dd"; then
      sv_read_done
      continue
    fi
    if [ -n "$sv_status" ]; then
      if [ "$sv_eof" = 1 ]; then break; fi
      if [ "$sv_ms" -ge "$sv_drain_until" ]; then
        kill "$sv_dd" 2>/dev/null
        sv_read_done
        break
      fi
    fi
    if [ -n "$sv_tick" ] && sv_gone "$sv_tick"; then
      sv_reap "$sv_tick"
      sv_tick=''
    fi
    if [ -z "$sv_tick" ]; then
      # Wakes the loop at the next deadline, or after 5 s at most: a child that ended between
      # the checks above and the wait below is then noticed late, never missed.
      sv_next=$((sv_ms + 5000))
      for sv_at in "$sv_deadline" "$sv_kill_at" "$sv_drain_until"; do
        if [ -n "$sv_at" ] && [ "$sv_at" -gt "$sv_ms" ] && [ "$sv_at" -lt "$sv_next" ]; then sv_next=$sv_at; fi
      done
      sv_wait=$((sv_next - sv_ms + 10))
      sleep "$((sv_wait / 1000)).$(printf %03d $((sv_wait % 1000)))" &
      sv_tick=$!
    fi
    if [ -n "$sv_dd" ]; then
      wait "$sv_dd"
      sv_waited=$?
    else
      wait "$sv_tick"
    fi
  done
  exec 4<&-
  if [ -n "$sv_tick" ]; then kill "$sv_tick" 2>/dev/null; fi
  rm -f output.pipe
  sv_write_output
fi

# How it ended, in one step: whoever reads result.json sees all of it or none.
sv_iso
sv_code=null sv_sig=null sv_duration=0
if [ -e spawn-error ]; then
  read -r sv_error <spawn-error
  sv_started=false sv_start_iso=null
elif [ "$sv_started" = true ]; then
  sv_duration=$((sv_end - sv_start))
  if [ "$sv_status" -gt 128 ] && sv_name=$(kill -l "$sv_status" 2>/dev/null) && [ -n "$sv_name" ]; then
    sv_sig="\\"SIG$sv_name\\""
  else
    sv_code=$sv_status
  fi
fi
sv_err=null
if [ -n "$sv_error" ]; then sv_json "$sv_error"; sv_err=$sv_j; fi
sv_timed=false sv_cancelled=false
if [ "$sv_stop" = timeout ]; then sv_timed=true; elif [ "$sv_stop" = cancel ]; then sv_cancelled=true; fi
sv_put result.json "{\\"format\\":1,\\"started\\":$sv_started,\\"exitCode\\":$sv_code,\\"signal\\":$sv_sig,\\"timedOut\\":$sv_timed,\\"cancelled\\":$sv_cancelled,\\"error\\":$sv_err,\\"startedAt\\":$sv_start_iso,\\"finishedAt\\":\\"$sv_t\\",\\"durationMs\\":$sv_duration,\\"outputBytes\\":$sv_total,\\"outputTruncated\\":\${sv_truncated:-false}}"
`;
