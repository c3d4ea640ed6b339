# Shell functions of the test bed's scripts (sourced, not run).

stop_pidfile() {  # FILE: TERM, then KILL after 10 s, the process whose pid FILE holds
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}
