# motebook C module emlearn_mixture (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
EMLEARN_MIXTURE_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_MIXTURE_DIR)/mixture.c
CFLAGS_USERMOD += -I$(EMLEARN_MIXTURE_DIR)/../include -I$(EMLEARN_INCLUDE)
