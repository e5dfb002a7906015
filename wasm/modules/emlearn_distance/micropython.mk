# motebook C module emlearn_distance (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
EMLEARN_DISTANCE_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_DISTANCE_DIR)/distance.c
CFLAGS_USERMOD += -I$(EMLEARN_DISTANCE_DIR)/../include -I$(EMLEARN_INCLUDE)
