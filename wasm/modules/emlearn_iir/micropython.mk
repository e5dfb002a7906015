# motebook C module emlearn_iir (see wasm/README.md). EMLEARN_INCLUDE is set by wasm/build.sh.
EMLEARN_IIR_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_IIR_DIR)/iir.c
CFLAGS_USERMOD += -I$(EMLEARN_IIR_DIR)/../include -I$(EMLEARN_INCLUDE)
