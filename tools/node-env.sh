# Sourced by the tools/*.sh scripts: puts a Node.js that this project can use
# first on PATH, installing Node 24 into .tools/ when the machine's Node is too
# old (mediasoup 3.27, mediasoup-client 3.24 and Angular 22 need >= 22.22).
# Nothing outside the repository is changed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_MIN="22.22.0"
NODE_LOCAL_PKG_VERSION="24"
LOCAL_NODE_DIR="$ROOT/.tools/node"

version_ge() { # version_ge A B  -> true when A >= B
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

node_ok() {
  local v
  v="$("$1" -p 'process.versions.node' 2>/dev/null)" || return 1
  version_ge "$v" "$NODE_MIN"
}

ensure_node() {
  if command -v node >/dev/null 2>&1 && node_ok "$(command -v node)"; then
    return 0
  fi
  local pkg bin
  pkg="node-$(uname -s | tr 'A-Z' 'a-z' | sed 's/darwin/darwin/')-$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')"
  bin="$LOCAL_NODE_DIR/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ] || ! node_ok "$bin/node"; then
    echo "[setup] machine Node $(node -v 2>/dev/null || echo none) is older than $NODE_MIN;" \
         "installing $pkg@$NODE_LOCAL_PKG_VERSION into .tools/node (npm registry)" >&2
    mkdir -p "$LOCAL_NODE_DIR"
    (cd "$LOCAL_NODE_DIR" && [ -f package.json ] || echo '{"private":true}' > package.json)
    npm install --prefix "$LOCAL_NODE_DIR" --no-audit --no-fund --loglevel=error \
      "$pkg@$NODE_LOCAL_PKG_VERSION" >&2
  fi
  export PATH="$bin:$PATH"
  node_ok "$(command -v node)" || { echo "[setup] could not provide Node >= $NODE_MIN" >&2; return 1; }
}

ensure_node
export PATH="$ROOT/node_modules/.bin:$PATH"
