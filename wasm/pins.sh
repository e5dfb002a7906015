# motebook: pinned inputs of wasm/build.sh (sourced). Change a value => the build reruns.
# MicroPython source: Debian trixie source package (dsc + orig + debian tarballs).
MP_DEB_SUITE=trixie
MP_DEB_VERSION=1.25.0+ds-1
MP_DSC=micropython_1.25.0+ds-1.dsc
MP_DSC_SHA256=8c7c406be88a6f3bc19e694eb0bbc5841112243fdf2b5a296e000d8fdc5f3c34
MP_ORIG=micropython_1.25.0+ds.orig.tar.xz
MP_ORIG_SHA256=7b25be99a502f070b2de81dafc08da7051d992325d6e67daa9045a918fffdbea
MP_DEBIAN=micropython_1.25.0+ds-1.debian.tar.xz
MP_DEBIAN_SHA256=87cd89f7900c86b963885dabe25acf3e5348815993f1500278ad8f6464465af4
# emlearn C headers: from the pure-Python wheel on PyPI (same version as pyproject.toml).
EMLEARN_VERSION=0.23.2
EMLEARN_WHEEL=emlearn-0.23.2-py3-none-any.whl
EMLEARN_WHEEL_SHA256=d50982a7b3808823c943d0858e1ce7862ae88d2009d2d548e951434e3c4774cd
# sha256 of `sha256sum eml_*.h | sort -k2` over the headers in the wheel (checked whatever
# their source: .venv or the cached wheel)
EMLEARN_HEADERS_SHA256=4593efe00b1871bdb0e442577a0b504233be3eed7269f6b5df078230132a8fc5
