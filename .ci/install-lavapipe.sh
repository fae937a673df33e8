#!/usr/bin/env bash
# Installs Mesa's lavapipe (a CPU Vulkan driver) from bookworm-backports so Dawn finds an adapter
# on machines without a GPU. Stock bookworm Mesa (22.3) is refused by Dawn; 25.x works.
set -euo pipefail
src=/etc/apt/sources.list.d/backports.sources
if [ ! -f "$src" ]; then
  uris=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  cat > "$src" <<EOS
Types: deb
URIs: $uris
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
