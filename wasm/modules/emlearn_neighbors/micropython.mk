# motebook C module emlearn_neighbors (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
EMLEARN_NEIGHBORS_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_NEIGHBORS_DIR)/neighbors.c
CFLAGS_USERMOD += -I$(EMLEARN_NEIGHBORS_DIR)/../include -I$(EMLEARN_INCLUDE)
