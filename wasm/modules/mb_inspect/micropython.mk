# motebook C module mb_inspect (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
MB_INSPECT_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(MB_INSPECT_DIR)/inspect.c
CFLAGS_USERMOD += -I$(MB_INSPECT_DIR)/../include -I$(EMLEARN_INCLUDE)
