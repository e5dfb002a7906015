# motebook C module emlearn_trees (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
EMLEARN_TREES_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_TREES_DIR)/trees.c
CFLAGS_USERMOD += -I$(EMLEARN_TREES_DIR)/../include -I$(EMLEARN_INCLUDE)
