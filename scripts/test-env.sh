#!/usr/bin/env bash
# Brings up what s3seal's tests talk to, then runs the command given:
#   - a throwaway CA and a server certificate for 127.0.0.1 / localhost (openssl);
#   - LocalStack (S3 + KMS) over HTTPS on 127.0.0.1, from a pinned Python venv;
#   - a D-Bus session with gnome-keyring's Secret Service, unlocked non-interactively.
# Everything is stopped by PID when the command ends. Usage: scripts/test-env.sh CMD [ARGS…]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache"
mkdir -p "$cache"

# --- apt packages (root, or sudo) -----------------------------------------------------------
# Secret Service; OpenSSL for the CA; curl for the health check; Xvfb + xdotool for the real-window
# smoke test; Mesa's EGL/llvmpipe so the GUI snapshots render on the CPU.
need=()
for pkg in gnome-keyring dbus dbus-user-session openssl curl xvfb xdotool libegl1 libegl-mesa0 libgl1-mesa-dri; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test-env: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- LocalStack venv (CPython 3.13; pinned, see tests/localstack/requirements.txt) ----------
venv="$cache/localstack-venv"
req="$root/tests/localstack/requirements.txt"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$req" "$venv/.requirements"; then
  py=""
  for candidate in "${PYTHON313:-}" "$(pyenv root 2>/dev/null)"/versions/3.13*/bin/python3 python3.13; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
      py=$candidate; break
    fi
  done
  if [ -z "$py" ]; then
    echo "test-env: LocalStack needs CPython 3.13 (python3.13 on PATH, pyenv, or PYTHON313=/path)" >&2
    exit 1
  fi
  echo "test-env: creating the LocalStack venv with $py" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --no-cache-dir --disable-pip-version-check -r "$req"
  cp "$req" "$venv/.requirements"
fi

# --- venvs of the system python3, pinned, made again when their pins change -----------------
system_venv() {  # NAME REQUIREMENTS
  local dir="$cache/$1" req="$2"
  if [ ! -x "$dir/bin/python" ] || ! cmp -s "$req" "$dir/.requirements"; then
    echo "test-env: creating $1 with $(command -v python3)" >&2
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q --no-cache-dir --disable-pip-version-check -r "$req"
    cp "$req" "$dir/.requirements"
  fi
}
# The official S3 Encryption Client (Python), for tests/integration/interop.rs.
system_venv s3ec-venv "$root/tests/interop/requirements.txt"
export S3SEAL_TEST_S3EC_PYTHON="$cache/s3ec-venv/bin/python"
# The aws CLI, whose own parameter validation checks `batch create --dry-run` JSON.
system_venv awscli-venv "$root/tests/awscli/requirements.txt"
export S3SEAL_TEST_AWS_CLI="$cache/awscli-venv/bin/aws"

# --- a CA and a server certificate, fresh each run --------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/s3seal-test.XXXXXX")
cleanup() {
  [ -n "${ls_pid:-}" ] && kill "$ls_pid" 2>/dev/null && wait "$ls_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=s3seal test CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$work/ext.cnf"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/ext.cnf" -out "$work/server.crt" 2>/dev/null
cat "$work/server.crt" "$work/server.key" > "$work/server.pem"
cp "$work/server.crt" "$work/server.pem.crt"; cp "$work/server.key" "$work/server.pem.key"

# --- LocalStack on a free port ----------------------------------------------------------------
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/ls"
FILESYSTEM_ROOT="$work/ls" GATEWAY_LISTEN="127.0.0.1:$port" SERVICES=s3,kms EAGER_SERVICE_LOADING=1 \
S3_SKIP_KMS_KEY_VALIDATION=0 SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 LOCALSTACK_TELEMETRY_DISABLED=1 \
DNS_ADDRESS=0 CUSTOM_SSL_CERT_PATH="$work/server.pem" \
  "$venv/bin/python" -m localstack.runtime.main > "$work/localstack.log" 2>&1 &
ls_pid=$!
for _ in $(seq 1 120); do
  if curl -fsS --cacert "$work/ca.pem" "https://127.0.0.1:$port/_localstack/health" 2>/dev/null | grep -q '"s3"'; then
    break
  fi
  kill -0 "$ls_pid" 2>/dev/null || { echo "test-env: LocalStack died:" >&2; tail -30 "$work/localstack.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS --cacert "$work/ca.pem" "https://127.0.0.1:$port/_localstack/health" >/dev/null \
  || { echo "test-env: LocalStack did not come up" >&2; tail -30 "$work/localstack.log" >&2; exit 1; }
echo "test-env: LocalStack (S3, KMS) on https://127.0.0.1:$port" >&2

export S3SEAL_TEST_ENDPOINT="https://127.0.0.1:$port"
export S3SEAL_TEST_HTTP_ENDPOINT="http://127.0.0.1:$port"
export S3SEAL_TEST_CA="$work/ca.pem"
export S3SEAL_TEST_WORK="$work"
# The aws CLI of the LocalStack venv: an independent client for the lifecycle tests.
export S3SEAL_TEST_AWS_CLI="$venv/bin/aws"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_KMS
# This kind of machine points AWS_CA_BUNDLE at the system bundle; tests pass --ca-bundle.
export AWS_CA_BUNDLE="$work/ca.pem" REQUESTS_CA_BUNDLE="$work/ca.pem" CURL_CA_BUNDLE="$work/ca.pem"

# --- Secret Service in a private D-Bus session, then the command -----------------------------
dbus-run-session -- bash -c '
  export XDG_RUNTIME_DIR=$(mktemp -d); chmod 700 "$XDG_RUNTIME_DIR"
  export HOME_KEYRING_DIR="$XDG_RUNTIME_DIR"
  export XDG_DATA_HOME="$XDG_RUNTIME_DIR/data"; mkdir -p "$XDG_DATA_HOME"
  eval "$(printf %s s3seal-test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
  export GNOME_KEYRING_CONTROL
  "$@"' bash "$@"
