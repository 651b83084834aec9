#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# tests/deploy/base.sh — the image deploy/Dockerfile builds FROM,
# debian:bookworm-slim, made here from Debian's own packages (no image
# registry is reachable from CI): `debootstrap --variant=minbase bookworm`
# from the mirror this machine's apt uses, trimmed as the official slim image
# is (no docs, man pages or locales; dpkg told to keep it so), and committed
# into buildah's storage as docker.io/library/debian:bookworm-slim.
#
# The trimmed root file system is cached as a tarball under
# deps/deploy-base/, keyed by ISO week (a fresh base, with that week's
# security updates, once a week; debootstrap takes about two minutes).
# Older tarballs are removed. Needs root, debootstrap and buildah.
# Usage: BUILDAH="buildah --root … --storage-driver vfs" sh tests/deploy/base.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${MXCP_SOURCE_DIR:=$(cd "$here/../.." && pwd)}"
: "${BUILDAH:=buildah --storage-driver vfs}"
IMAGE=docker.io/library/debian:bookworm-slim
key=$(date -u +%G-W%V)
cache=${MXCP_DEPLOY_CACHE:-$MXCP_SOURCE_DIR/deps/deploy-base}
tarball=$cache/bookworm-minbase-$key.tar.gz

# The mirror apt uses here: a deb822 URIs: line or a one-line `deb` entry
# for bookworm (not the security archive).
mirror_of() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		case $f in
		*.sources)
			awk -v want="$1" '
				/^[[:space:]]*$/ { if (u != "" && s ~ ("(^| )" want "( |$)")) { print u; exit } u = ""; s = "" ; next }
				/^URIs:/ { u = $2 }
				/^Suites:/ { $1 = ""; s = $0; sub(/^ /, "", s) }
				END { if (u != "" && s ~ ("(^| )" want "( |$)")) print u }' "$f"
			;;
		*) awk -v want="$1" '$1 == "deb" && $0 !~ /\[/ && $3 == want { print $2; exit }
			$1 == "deb" && $0 ~ /\]/ { for (i = 2; i <= NF; i++) if ($i ~ /\]$/) break; if ($(i + 2) == want) { print $(i + 1); exit } }' "$f" ;;
		esac
	done | head -n 1
}

# Committed once per key: the image carries it as a label.
have=$($BUILDAH inspect --type image --format '{{index .OCIv1.Config.Labels "mxcp.base.key"}}' "$IMAGE" 2>/dev/null || true)
[ "$have" = "$key" ] && exit 0

if [ ! -f "$tarball" ]; then
	mirror=$(mirror_of bookworm)
	security=$(mirror_of bookworm-security)
	[ -n "$mirror" ] || { echo "deploy: no Debian bookworm mirror in /etc/apt/sources.list*: blocked" >&2; exit 2; }
	[ -n "$security" ] || security=http://deb.debian.org/debian-security
	mkdir -p "$cache"
	tmp=$(mktemp -d /var/tmp/mxcp-base.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	echo "deploy: debootstrap --variant=minbase bookworm from $mirror" >&2
	t0=$(date +%s)
	nice debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$tmp/debootstrap.log" >&2; echo "deploy: debootstrap failed (mirror $mirror unreachable?)" >&2; exit 2; }
	r=$tmp/root
	# As the official slim image: dpkg leaves out docs, man pages, locales.
	cat >"$r/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
CFG
	cat >"$r/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CFG
	printf 'Acquire::Languages "none";\n' >"$r/etc/apt/apt.conf.d/docker-no-languages"
	rm -f "$r/etc/apt/sources.list"
	cat >"$r/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	find "$r/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
	find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
	rm -rf "$r/usr/share/man"/* "$r/usr/share/info"/* "$r/usr/share/locale"/* "$r/usr/share/groff"/* \
		"$r/usr/share/lintian"/* "$r/var/cache/apt"/*.bin "$r/var/cache/apt/archives"/*.deb \
		"$r/var/lib/apt/lists"/* "$r/var/log"/*.log "$r/var/log/apt"/* "$r/tmp"/* "$r/root/.bash_history"
	: >"$r/etc/machine-id" 2>/dev/null || true
	tar -C "$r" --numeric-owner -czf "$tarball.part" .
	mv "$tarball.part" "$tarball"
	find "$cache" -name 'bookworm-minbase-*.tar.gz' ! -name "bookworm-minbase-$key.tar.gz" -delete
	echo "deploy: base root file system made in $(($(date +%s) - t0)) s: $tarball" >&2
fi

ctr=$($BUILDAH from scratch)
mnt=$($BUILDAH mount "$ctr")
tar -C "$mnt" --numeric-owner -xzf "$tarball"
$BUILDAH umount "$ctr" >/dev/null
$BUILDAH config --cmd '["bash"]' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	--label mxcp.base.key="$key" --os linux --arch amd64 "$ctr"
$BUILDAH commit --quiet --rm "$ctr" "$IMAGE" >/dev/null
echo "deploy: $IMAGE committed from $tarball" >&2
