# motebook C module emlearn_arrayutils (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
EMLEARN_ARRAYUTILS_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_ARRAYUTILS_DIR)/arrayutils.c
CFLAGS_USERMOD += -I$(EMLEARN_ARRAYUTILS_DIR)/../include
