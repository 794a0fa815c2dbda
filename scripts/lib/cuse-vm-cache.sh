# shellcheck shell=bash
# Cache of the cuse-vm guest: host packages, a stock Debian kernel with its
# CUSE/9p/virtio modules, and the initramfs. Sourced by scripts/cuse-vm.
#
# Layout of "$CV_CACHE" (default ${I2OSIM_CACHE:-$HOME/.cache/i2osim}/vm):
#   .lock                                   flock(1) lock around every change
#   kernel-KVER/vmlinuz                     the kernel image
#   kernel-KVER/modules/NAME.ko             needed modules, uncompressed
#   kernel-KVER/modules.order               insmod order, one NAME a line
#   kernel-KVER/.complete                   written last: the directory is usable
#   initramfs-KVER-HASH.cpio.gz             busybox + /init + modules; HASH covers
#                                           the inputs, so a changed /init rebuilds
# Everything is built in a temporary directory beside it and moved into place,
# so readers never see half-written files.

CV_LIB_DIR=${CV_LIB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
CV_CACHE=${CV_CACHE:-${I2OSIM_CACHE:-${HOME:-/root}/.cache/i2osim}/vm}
CV_PACKAGES=(qemu-system-x86 busybox-static cpio)
# Modules the guest loads explicitly; their dependencies come from the
# depends= strings inside the .ko files.
CV_ROOT_MODULES=(virtio_pci 9pnet_virtio 9p cuse)
CV_APT_UPDATED=0

cv_log() { printf 'cuse-vm: %s\n' "$*" >&2; }
# cv_size BYTES — "12.3 MB" (or "456 kB" below a megabyte).
cv_size() { awk -v b="${1:-0}" 'BEGIN { if (b >= 1000000) printf "%.1f MB", b / 1e6; else printf "%d kB", (b + 999) / 1000 }'; }
# cv_step N TOTAL TEXT — a progress line of the first build of the cache (one per step).
cv_step() { cv_log "[$1/$2] ${*:3}"; }
cv_die() {
	printf 'cuse-vm: error: %s\n' "$1" >&2
	exit "${2:-125}"
}

cv_is_installed() {
	[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

cv_apt_update() {
	((CV_APT_UPDATED)) && return 0
	cv_log "apt-get update ..."
	apt-get update -qq >&2 || cv_die "apt-get update failed"
	CV_APT_UPDATED=1
}

# cv_ensure_packages PKG... — apt-get install the ones that are missing.
cv_ensure_packages() {
	local missing=() p
	for p in "$@"; do
		cv_is_installed "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if ((EUID != 0)); then
		cv_die "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})"
	fi
	cv_apt_update
	cv_log "installing ${missing[*]} ..."
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		cv_die "apt-get install ${missing[*]} failed"
}

# cv_kernel_package — the linux-image-X.Y.Z-N-amd64 that linux-image-amd64 names.
cv_kernel_package() {
	local name
	name=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	if [[ -z $name ]] && ((EUID == 0)); then
		cv_apt_update
		name=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	fi
	[[ -n $name ]] || cv_die "apt-cache depends linux-image-amd64 names no kernel package (run apt-get update?)"
	printf '%s\n' "$name"
}

# cv_current_kernel_dir — newest complete kernel-* directory, or nothing.
cv_current_kernel_dir() {
	local d
	for d in "$CV_CACHE"/kernel-*/; do
		if [[ -f $d.complete ]]; then printf '%s\n' "${d%/}"; fi
	done | sort -V | tail -n 1
}

# cv_decompress_module SRC DEST — copy a .ko / .ko.xz / .ko.zst / .ko.gz as plain .ko.
cv_decompress_module() {
	local src=$1 dest=$2
	case $src in
	*.ko) cp "$src" "$dest" ;;
	*.ko.xz)
		command -v xz >/dev/null || cv_ensure_packages xz-utils
		xz -dc "$src" >"$dest"
		;;
	*.ko.zst)
		command -v zstd >/dev/null || cv_ensure_packages zstd
		zstd -qdc "$src" >"$dest"
		;;
	*.ko.gz) gzip -dc "$src" >"$dest" ;;
	*) return 1 ;;
	esac
}

# cv_module_depends KO — the names in its depends= string, one a line.
cv_module_depends() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' '\n' | sed '/^$/d'
}

# cv_extract_modules TREE OUTDIR — TREE is the unpacked .deb. Copies the root
# modules and everything they depend on to OUTDIR/modules/NAME.ko and writes
# the insmod order (dependencies first) to OUTDIR/modules.order.
cv_extract_modules() {
	local tree=$1 out=$2 f base name
	local -A path=() builtin=() state=()
	local order=()
	while IFS= read -r -d '' f; do
		base=${f##*/}
		name=${base%%.ko*}
		path[${name//-/_}]=$f
	done < <(find "$tree"/lib/modules -name '*.ko*' -print0)
	if [[ -f $(echo "$tree"/lib/modules/*/modules.builtin) ]]; then
		while IFS= read -r f; do
			base=${f##*/}
			builtin[${base%%.ko*}]=1
		done <"$(echo "$tree"/lib/modules/*/modules.builtin)"
	fi
	mkdir -p "$out/modules"

	cv_visit_module() {
		local m=${1//-/_} dep
		[[ -n ${state[$m]:-} ]] && return 0
		state[$m]=visiting
		if [[ -z ${path[$m]:-} ]]; then
			if [[ -n ${builtin[$m]:-} ]]; then
				state[$m]=builtin
				return 0
			fi
			cv_die "module $m is neither in the kernel package nor built in"
		fi
		cv_decompress_module "${path[$m]}" "$out/modules/$m.ko" ||
			cv_die "cannot unpack module ${path[$m]}"
		while IFS= read -r dep; do
			cv_visit_module "$dep"
		done < <(cv_module_depends "$out/modules/$m.ko")
		state[$m]=finished
		order+=("$m")
	}
	for name in "${CV_ROOT_MODULES[@]}"; do
		cv_visit_module "$name"
	done
	printf '%s\n' "${order[@]}" >"$out/modules.order"
}

# cv_build_kernel — download the kernel package, keep vmlinuz and the modules.
cv_build_kernel() {
	local pkg tmp deb kimg kver
	pkg=$(cv_kernel_package) || exit
	tmp=$(mktemp -d "$CV_CACHE/.build-kernel.XXXXXX")
	local size started
	size=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Size: //p' | head -n 1)
	started=$SECONDS
	cv_step 1 4 "downloading $pkg (${size:+$(cv_size "$size")}${size:-about 70 MB}) ..."
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2) ||
		{
			rm -rf "$tmp"
			cv_die "apt-get download $pkg failed"
		}
	deb=$(find "$tmp" -maxdepth 1 -name '*.deb' | head -n 1)
	[[ -n $deb ]] || cv_die "apt-get download $pkg left no .deb"
	cv_step 1 4 "downloaded $(cv_size "$(stat -c %s "$deb")") in $((SECONDS - started)) s"
	cv_step 2 4 "unpacking $(basename "$deb") ..."
	mkdir "$tmp/tree"
	dpkg-deb -x "$deb" "$tmp/tree" || cv_die "dpkg-deb -x $deb failed"
	cv_step 2 4 "unpacked $(cv_size "$(du -sb "$tmp/tree" | cut -f1)")"
	kimg=$(find "$tmp/tree/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n 1)
	[[ -n $kimg ]] || cv_die "$pkg has no boot/vmlinuz-*"
	kver=${kimg##*/vmlinuz-}
	mkdir "$tmp/out"
	cp "$kimg" "$tmp/out/vmlinuz"
	cv_step 3 4 "keeping the kernel ($(cv_size "$(stat -c %s "$kimg")")) and the modules CUSE and 9p need ..."
	cv_extract_modules "$tmp/tree" "$tmp/out"
	cv_step 3 4 "kernel $kver, modules ($(cv_size "$(du -sb "$tmp/out/modules" | cut -f1)")): $(tr '\n' ' ' <"$tmp/out/modules.order")"
	touch "$tmp/out/.complete"
	rm -rf "$CV_CACHE/kernel-$kver"
	mv "$tmp/out" "$CV_CACHE/kernel-$kver"
	rm -rf "$tmp"
}

# cv_initramfs_path KDIR — where the initramfs for this kernel and these inputs lives.
cv_initramfs_path() {
	local kdir=$1 kver hash
	kver=${kdir##*/kernel-}
	hash=$(cat "$CV_LIB_DIR/cuse-vm-init" "$CV_LIB_DIR/cuse-vm-cache.sh" "$kdir/modules.order" |
		sha256sum | cut -c1-16)
	printf '%s/initramfs-%s-%s.cpio.gz\n' "$CV_CACHE" "$kver" "$hash"
}

# cv_build_initramfs KDIR DEST
cv_build_initramfs() {
	local kdir=$1 dest=$2 tmp root applet busybox=/bin/busybox
	cv_is_installed busybox-static || cv_die "busybox-static is not installed"
	# busybox-static owns /bin/busybox; check it really is static.
	if ! dpkg -L busybox-static 2>/dev/null | grep -qx '/bin/busybox'; then
		busybox=$(dpkg -L busybox-static | grep '/busybox$' | head -n 1)
	fi
	[[ -x $busybox ]] || cv_die "no busybox binary from busybox-static"
	cv_step 4 4 "building the initramfs ..."
	tmp=$(mktemp -d "$CV_CACHE/.build-initramfs.XXXXXX")
	root=$tmp/root
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,newroot,cuse-vm,lib/cuse-vm}
	cp "$busybox" "$root/bin/busybox"
	while IFS= read -r applet; do
		[[ -n $applet && $applet != busybox ]] || continue
		ln -sf busybox "$root/bin/$applet"
	done < <("$root/bin/busybox" --list)
	cp "$CV_LIB_DIR/cuse-vm-init" "$root/init"
	chmod 755 "$root/init"
	cp -r "$kdir/modules" "$root/lib/cuse-vm/modules"
	cp "$kdir/modules.order" "$root/lib/cuse-vm/modules.order"
	# The kernel opens /dev/console for init before /init mounts devtmpfs.
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
	(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 >"$tmp/initramfs.cpio.gz" ||
		cv_die "cpio of the initramfs failed"
	cv_step 4 4 "initramfs $(cv_size "$(stat -c %s "$tmp/initramfs.cpio.gz")")"
	mv "$tmp/initramfs.cpio.gz" "$dest"
	rm -rf "$tmp"
	# Drop initramfs images of older inputs for this kernel.
	local old
	for old in "$CV_CACHE"/initramfs-"${kdir##*/kernel-}"-*.cpio.gz; do
		[[ $old == "$dest" || ! -e $old ]] || rm -f "$old"
	done
}

# cv_ready — true when a complete kernel and a matching initramfs exist.
# Sets CV_KDIR and CV_INITRAMFS.
cv_ready() {
	CV_KDIR=$(cv_current_kernel_dir)
	[[ -n $CV_KDIR ]] || return 1
	CV_INITRAMFS=$(cv_initramfs_path "$CV_KDIR")
	[[ -f $CV_INITRAMFS && -f $CV_KDIR/vmlinuz ]]
}

# cv_ensure_cache [rebuild] — make sure packages, kernel and initramfs exist.
# Sets CV_KDIR and CV_INITRAMFS. Safe when several runs start at once.
cv_ensure_cache() {
	local rebuild=${1:-0}
	local p need_packages=0
	for p in "${CV_PACKAGES[@]}"; do
		cv_is_installed "$p" || need_packages=1
	done
	if ((!need_packages && !rebuild)) && cv_ready; then
		return 0
	fi
	mkdir -p "$CV_CACHE" || cv_die "cannot create the cache directory $CV_CACHE"
	command -v flock >/dev/null || cv_die "flock (util-linux) is required"
	exec {CV_LOCK_FD}>"$CV_CACHE/.lock"
	if ! flock -n "$CV_LOCK_FD"; then
		cv_log "waiting for another cuse-vm to finish preparing $CV_CACHE ..."
		flock -w 1800 "$CV_LOCK_FD" || cv_die "timed out waiting for the lock on $CV_CACHE/.lock"
	fi
	cv_ensure_packages "${CV_PACKAGES[@]}"
	if ((rebuild)); then
		cv_log "removing the cached kernel and initramfs ..."
		rm -rf "$CV_CACHE"/kernel-* "$CV_CACHE"/initramfs-*.cpio.gz "$CV_CACHE"/.build-*
	fi
	rm -rf "$CV_CACHE"/.build-*
	CV_KDIR=$(cv_current_kernel_dir)
	if [[ -z $CV_KDIR ]]; then
		cv_build_kernel
		CV_KDIR=$(cv_current_kernel_dir)
		[[ -n $CV_KDIR ]] || cv_die "kernel cache is still incomplete after building it"
	fi
	CV_INITRAMFS=$(cv_initramfs_path "$CV_KDIR")
	[[ -f $CV_INITRAMFS ]] || cv_build_initramfs "$CV_KDIR" "$CV_INITRAMFS"
	cv_ready || cv_die "the cache in $CV_CACHE is incomplete after building it"
	cv_log "cache ready: $CV_CACHE"
	flock -u "$CV_LOCK_FD"
	exec {CV_LOCK_FD}>&-
}
